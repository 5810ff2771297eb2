import { OutflowError } from '../diagnostics/index.js';

/**
 * Downloads an object the state lists and checks its sha256 before anything loads it; a mismatch
 * is `segment-corrupt` (`what` names the object in the message).
 */
export async function downloadChecked(
  download: (key: string, file: string) => Promise<void>,
  object: { key: string; sha256: string },
  file: string,
  what: string,
  help: { hint: string; meta: Record<string, string> },
): Promise<void> {
  const { sha256File } = await import('../engine/file-hash.js');
  await download(object.key, file);
  const sha256 = await sha256File(file);
  if (sha256 !== object.sha256)
    throw new OutflowError(
      'segment-corrupt',
      `${what} does not match the state (sha256 ${sha256}, the state records ${object.sha256}); nothing was run`,
      help,
    );
}
