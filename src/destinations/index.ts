export type { Destination, PublicationManifest } from './destination.js';
export { LocalDestination } from './local.js';
export { openDestination } from './open.js';
export { manifestKey, type PublishedRun, type PublishOptions, publishRun } from './publish.js';
