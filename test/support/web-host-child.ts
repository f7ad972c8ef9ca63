// The web host in a process of its own, so a test can tell whether something a client sends ends it.
// Started by electron/web/server.integration.test.ts with node_modules/.bin/tsx:
//   AUX_CHILD_DATA_DIR      the core's data folder
//   AUX_CHILD_RENDERER_DIR  a folder with an index.html to serve
//   AUX_CHILD_KEYCHAIN      the keychain service name
// Prints `listening <address with the key>` once it serves.
import { createCore } from '../../electron/core/create-core';
import { startWebHost } from '../../electron/web/server';

const dataDir = process.env.AUX_CHILD_DATA_DIR;
const rendererDir = process.env.AUX_CHILD_RENDERER_DIR;
const keychainService = process.env.AUX_CHILD_KEYCHAIN;
if (!dataDir || !rendererDir || !keychainService) {
  console.error('AUX_CHILD_DATA_DIR, AUX_CHILD_RENDERER_DIR and AUX_CHILD_KEYCHAIN are required');
  process.exit(2);
}

const core = createCore({ dataDir, version: '0.0.0-child', keychainService });
await core.start();
const host = await startWebHost({ core, rendererDir, port: 0 });
process.stdout.write(`listening ${host.openUrl}\n`);
