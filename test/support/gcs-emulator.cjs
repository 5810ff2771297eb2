// test/support/gcs-emulator.cjs
const rt = require('firebase-tools/lib/emulator/storage/rules/runtime');
rt.StorageRulesRuntime.prototype.start = async function () {};
rt.StorageRulesRuntime.prototype.stop = async function () {};
const { StorageEmulator } = require('firebase-tools/lib/emulator/storage');
const { EmulatorRegistry } = require('firebase-tools/lib/emulator/registry');
const port = Number(process.env.PORT || 9199);
const emu = new StorageEmulator({ projectId: 'demo-test', host: '127.0.0.1', port, rules: [], auto_download: false });
EmulatorRegistry.start(emu).then(() => console.log(`gcs emulator on ${port}`), (e) => { console.error(e); process.exit(1); });
process.on('SIGTERM', () => emu.stop().finally(() => process.exit(0)));
