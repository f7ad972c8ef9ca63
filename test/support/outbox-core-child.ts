// A real core in a process of its own that dies between SMTP acceptance and marking the reply sent.
// Started by electron/services/smtp/outbox.integration.test.ts with node_modules/.bin/tsx:
//   AUX_CHILD_DATA_DIR        the data dir of a core that already has the channel and conversation
//   AUX_CHILD_KEYCHAIN        the keychain service name holding the channel's passwords
//   AUX_CHILD_CONVERSATION    the conversation to reply to
// Prints `queued <messageId>` once the reply is stored, then exits with code 1 right after the server
// accepted it (and its Sent copy was filed), before the outbox records it as sent.
import { createCore } from '../../electron/core/create-core';
import { childCoreEnv } from './child-env';

const { dataDir, keychainService, conversation } = childCoreEnv();

const core = createCore({
  dataDir,
  version: '0.0.0-child',
  keychainService,
  outbox: {
    hooks: {
      afterAccepted: (messageId) => {
        process.stdout.write(`accepted ${messageId}\n`);
        // Like a crash: no cleanup, no further statement of the sender runs.
        process.exit(1);
      },
    },
  },
});
await core.start();
const sent = await core.router.handle('conversations:send-reply', { id: conversation, mode: 'reply', text: 'Sent by a process that dies', undoSeconds: 0 });
if (!sent.ok) {
  console.error(`conversations:send-reply failed: ${JSON.stringify(sent.error)}`);
  process.exit(3);
}
process.stdout.write(`queued ${(sent.value as { id: number }).id}\n`);
setInterval(() => undefined, 60_000);
