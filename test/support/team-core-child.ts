// A real core in a process of its own that dies (SIGKILL) right after the server accepted the
// APPEND of a change to its team folder, before the core recorded that it did.
// Started by electron/services/team/team-sync.integration.test.ts with tsx:
//   AUX_CHILD_DATA_DIR        the data dir of a core that already has the channel and conversation
//   AUX_CHILD_KEYCHAIN        the keychain service name holding the channel's passwords
//   AUX_CHILD_CONVERSATION    the conversation to close
// Prints `appended <event id>` just before it kills itself.
import { writeSync } from 'node:fs';
import { createCore } from '../../electron/core/create-core';
import { childCoreEnv } from './child-env';

const { dataDir, keychainService, conversation } = childCoreEnv();

const core = createCore({
  dataDir,
  version: '0.0.0-child',
  keychainService,
  team: {
    afterAppend: (event) => {
      if (event.type !== 'status.changed') return;
      // Synchronously: nothing of the core may run after the server said yes.
      writeSync(1, `appended ${event.id}\n`);
      process.kill(process.pid, 'SIGKILL');
    },
  },
});
await core.start();
const result = await core.router.handle('conversations:set-status', { id: conversation, status: 'closed' });
if (!result.ok) {
  console.error(`conversations:set-status failed: ${JSON.stringify(result.error)}`);
  process.exit(3);
}
setInterval(() => undefined, 60_000);
