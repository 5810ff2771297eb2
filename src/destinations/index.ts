export type { Destination, PublicationManifest } from './destination.js';
export { LocalDestination } from './local.js';
export { manifestKey, publishRun } from './publish.js';
