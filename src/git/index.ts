// Base-vs-head config for pull-request plans (`plan --base REF`), read with git, never touching the work tree.
export { type BaseConfig, readBaseConfig } from './base-config.js';
