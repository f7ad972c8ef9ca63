// A real core in a process of its own, so a test can SIGKILL it in the middle of an import.
// Started by electron/services/ingest/inbound.integration.test.ts with node_modules/.bin/tsx:
//   AUX_CHILD_DATA_DIR        the data dir (SQLite file, raw mail, attachments)
//   AUX_CHILD_KEYCHAIN        the keychain service name (the parent reuses it after the kill)
//   AUX_CHILD_CHANNEL_FORM    the channel form as JSON; the channel is created on start
// Prints `channel <id>` on stdout once the channel exists, then runs until killed.
import { createCore } from '../../electron/core/create-core';

const dataDir = process.env.AUX_CHILD_DATA_DIR;
const keychainService = process.env.AUX_CHILD_KEYCHAIN;
const form = process.env.AUX_CHILD_CHANNEL_FORM;
if (!dataDir || !keychainService || !form) {
  console.error('AUX_CHILD_DATA_DIR, AUX_CHILD_KEYCHAIN and AUX_CHILD_CHANNEL_FORM are required');
  process.exit(2);
}

const core = createCore({ dataDir, version: '0.0.0-child', keychainService });
await core.start();
const created = await core.router.handle('channels:create', JSON.parse(form));
if (!created.ok) {
  console.error(`channels:create failed: ${JSON.stringify(created.error)}`);
  process.exit(3);
}
process.stdout.write(`channel ${(created.value as { id: string }).id}\n`);
// Keep running: the watcher imports until the parent kills this process.
setInterval(() => undefined, 60_000);
