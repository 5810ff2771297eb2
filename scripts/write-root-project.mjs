// Writes the repository root's own outflow project (outflow.yaml, flows/, examples/data/) from the
// same template `outflow init` uses, so the two never drift. Run after `npm run build`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { projectFiles } from '../dist/cli/init-template.js';
import { root } from './gen-lib.mjs';

const files = projectFiles({
  name: 'outflow_demo',
  dataDir: 'examples/data',
  schemaPath: 'schemas/outflow.schema.json',
});
for (const [path, content] of Object.entries(files)) {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), content);
  console.log(`wrote ${path}`);
}
