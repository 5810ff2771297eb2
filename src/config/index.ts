export { findProjectRoot, PROJECT_FILE } from './find-project.js';
export {
  isConfigPath,
  LIMITS,
  listConfigFiles,
  readSourceFile,
  type SourceFile,
  sourceFileFromBytes,
  toProjectPath,
} from './source-files.js';
export { type ConfigDocument, type ConfigPath, parseConfigFile } from './yaml-document.js';
