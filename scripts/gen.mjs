// `npm run gen`: regenerate every file derived from schemas/*.schema.json.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generatedFiles, root } from './gen-lib.mjs';

for (const [path, content] of Object.entries(await generatedFiles())) {
  writeFileSync(join(root, path), content);
  console.log(`wrote ${path}`);
}
