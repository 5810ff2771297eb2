export { findProjectRoot, PROJECT_FILE } from './find-project.js';
export { LIMITS, listConfigFiles, readSourceFile, type SourceFile, toProjectPath } from './source-files.js';
export { type ConfigDocument, type ConfigPath, parseConfigFile } from './yaml-document.js';
