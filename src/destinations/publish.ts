import { writeFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { Destination, PublicationManifest } from './destination.js';

/** The manifest's key: beside the run's first file, named with the run id. */
export function manifestKey(manifest: PublicationManifest, prefix: string): string {
  const first = manifest.files[0]?.name;
  const dir = first === undefined ? manifest.export : posix.dirname(first);
  return posix.join(prefix, dir === '.' ? '' : dir, `_manifest-${manifest.runId}.json`);
}

/**
 * Publishes a run: every data file from the staging folder, then the manifest, last. A crash
 * before the manifest leaves files that the retried run (same run id, same names) overwrites.
 */
export async function publishRun(
  destination: Destination,
  stagingDir: string,
  manifest: PublicationManifest,
  prefix = '',
): Promise<string> {
  for (const file of manifest.files) {
    await destination.put(posix.join(prefix, file.name), join(stagingDir, ...file.name.split('/')));
  }
  const key = manifestKey(manifest, prefix);
  const manifestFile = join(stagingDir, `_manifest-${manifest.runId}.json`);
  await writeFile(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);
  await destination.put(key, manifestFile);
  return key;
}
