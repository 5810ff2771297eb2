export { loadValidators, SCHEMA_ID, schemasDir, validatorsId } from './ajv-instance.js';
export { CREDENTIAL_FIELDS, SECRET_FIELDS } from './fields.js';
export type * from './types.gen.js';
export { displayPath, validateDocument } from './validate-document.js';
