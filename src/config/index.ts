export { userCacheDir } from './cache-dir.js';
export { findProjectRoot, PROJECT_FILE } from './find-project.js';
export { openParseCache, type ParseCache as ParsedValuesCache } from './parse-cache.js';
export {
  isConfigPath,
  LIMITS,
  listConfigFiles,
  readSourceFile,
  type SourceFile,
  sourceFileFromBytes,
  toProjectPath,
} from './source-files.js';
export {
  type ConfigDocument,
  type ConfigPath,
  documentsFromValues,
  fastValues,
  parseCareful,
  parseConfigFile,
} from './yaml-document.js';
