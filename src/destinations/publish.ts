import { writeFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { crashPoint } from '../testing/index.js';
import type { Destination, PublicationManifest } from './destination.js';

export interface PublishOptions {
  /** Prepended to every key (`_draft` for drafts). */
  prefix?: string;
  /**
   * The run's folder, from the path template (engine's `directory`): the manifest goes there,
   * for an empty run too. Every file of the run is under it.
   */
  directory: string;
  /** false (export `manifest: false`): the data files only, no manifest. Default true. */
  manifest?: boolean;
  /** Bytes of each data file sent so far (progress on a terminal, throughput in CI logs). */
  onProgress?: (file: string, sent: number, total: number) => void;
}

export interface PublishedRun {
  /** The manifest's key; `''` when no manifest was published. */
  manifest: string;
  /** The run's folder under the destination (with the prefix). */
  directory: string;
}

/** The manifest's key: in the run's folder, named with the run id. */
export function manifestKey(runId: string, directory: string, prefix = ''): string {
  return posix.join(prefix, directory, `_manifest-${runId}.json`);
}

/**
 * Publishes a run: every data file from the staging folder (each atomically, at its
 * deterministic name), then the manifest, last. A crash before the manifest leaves files that
 * the retried run (same run id, same names) overwrites. Without a manifest nothing marks the
 * run complete: a reader cannot tell a partial run from a whole one.
 */
export async function publishRun(
  destination: Destination,
  stagingDir: string,
  manifest: PublicationManifest,
  options: PublishOptions,
): Promise<PublishedRun> {
  const prefix = options.prefix ?? '';
  for (const file of manifest.files) {
    let half = false;
    await destination.put(
      posix.join(prefix, file.name),
      join(stagingDir, ...file.name.split('/')),
      (sent) => {
        if (!half && sent * 2 >= file.bytes && sent < file.bytes) {
          half = true;
          crashPoint('publish.mid-upload');
        }
        options.onProgress?.(file.name, sent, file.bytes);
      },
    );
    crashPoint('publish.file');
  }
  const directory = [prefix, options.directory].filter((p) => p !== '').join('/');
  if (options.manifest === false) return { manifest: '', directory };
  const key = manifestKey(manifest.runId, options.directory, prefix);
  const manifestFile = join(stagingDir, `_manifest-${manifest.runId}.json`);
  await writeFile(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);
  await destination.put(key, manifestFile);
  crashPoint('publish.manifest');
  return { manifest: key, directory };
}
