#!/usr/bin/env node
import { statSync } from 'node:fs';

// The bundled CLI (scripts/bundle.mjs: a few files instead of ~100 modules) when the build made
// one after the modules it was made from; else those modules (dist/cli/main.js).
const modules = new URL('../dist/cli/main.js', import.meta.url);
const bundle = new URL('../dist/bundle/outflow.js', import.meta.url);
const mtime = (url) => statSync(url, { throwIfNoEntry: false })?.mtimeMs ?? Number.NaN;
const { main } = await import(mtime(bundle) >= mtime(modules) ? bundle.href : modules.href);

main(process.argv).then((code) => {
  process.exitCode = code;
});
