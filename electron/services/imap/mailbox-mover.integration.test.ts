import { createServer } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, inject, it } from 'vitest';
import { channelToForm, type Channel, type InboxSettings } from '../../../shared/channel';
import type { ConversationSummary } from '../../../shared/conversation';
import { deliver, imapServers, withImapSession, type MailStackInfo } from '../../../test/mailstack/mailstack';
import { cleanupsAfterAll } from '../../../test/support/cleanups';
import { call, channelFor, marker, waitFor } from '../../../test/support/core';
import { tempDir, testKeychainService } from '../../../test/support/temp';
import { createCore, type Core } from '../../core/create-core';

// Deleting a conversation with the channel's opt-in "move to Trash" on: the customer's mail really
// leaves the real server's INBOX for its Trash folder, the inbox watcher carries on as if nothing
// happened, the mail is not imported again, and a move made while the server cannot be reached
// (or with a Trash folder that does not exist) waits, says why on the conversation, and is made
// once the server is back. Against Dovecot and Cyrus.

const stack = inject('mailstack');
const servers = imapServers(stack);
const onCleanup = cleanupsAfterAll();
/** Short retry delays, so a move that failed is tried again within the test. */
const MOVES = { backoff: { baseMs: 200, capMs: 1_000, minMs: 100 } };

interface Env {
  core: Core;
  channelId: string;
  db: Database.Database;
  s: MailStackInfo;
}

async function startEnv(s: MailStackInfo, inbox: Partial<InboxSettings>): Promise<Env> {
  const dir = tempDir('auxilium-trash-');
  onCleanup(dir.remove);
  const core = createCore({ dataDir: dir.path, version: '0.0.0-test', keychainService: testKeychainService(), moves: MOVES });
  onCleanup(() => core.stop());
  await core.start();
  const channel = await call(core, 'channels:create', channelFor(s, s.users.support, { initialImport: 'none', trashOnDelete: true, ...inbox }));
  onCleanup(async () => void (await core.router.handle('channels:delete', { id: channel.id })));
  await waitFor('the channel to connect', async () => ((await channelOf(core, channel.id))?.status.state === 'connected' ? true : undefined));
  const db = new Database(join(dir.path, 'auxilium.sqlite'), { readonly: true, fileMustExist: true });
  onCleanup(() => void db.close());
  return { core, channelId: channel.id, db, s };
}

async function channelOf(core: Core, id: string): Promise<Channel | undefined> {
  return (await call(core, 'channels:list', {})).find((c) => c.id === id);
}

async function customerWritesIn(env: Env, mark: string): Promise<ConversationSummary> {
  const { customer, support } = env.s.users;
  await deliver(env.s, { from: customer.address, to: support.address, subject: `Broken kettle ${mark}`, text: `Kettle ${mark} leaks.` });
  return waitFor(`the conversation ${mark}`, async () => (await find(env, 'all', mark))[0]);
}

async function find(env: Env, view: 'all' | 'deleted', mark: string): Promise<ConversationSummary[]> {
  const page = await call(env.core, 'conversations:list', { view, channelId: env.channelId, query: mark, limit: 50 });
  return page.items.filter((c) => c.subject.includes(mark));
}

/** Messages whose subject carries `mark` in the support mailbox's INBOX and in the folder the server marks \Trash (or \Junk). */
async function onServer(env: Env, mark: string, special = '\\Trash'): Promise<{ inbox: number; target: number; targetFolder: string }> {
  return withImapSession(env.s, env.s.users.support, async (client) => {
    const targetFolder = (await client.list()).find((f) => f.specialUse === special)?.path;
    if (!targetFolder) throw new Error(`the test server has no ${special} folder`);
    const count = async (folder: string) => {
      const lock = await client.getMailboxLock(folder, { readOnly: true });
      try {
        const found = await client.search({ subject: mark }, { uid: true });
        return Array.isArray(found) ? found.length : 0;
      } finally {
        lock.release();
      }
    };
    return { inbox: await count('INBOX'), target: await count(targetFolder), targetFolder };
  });
}

async function moved(env: Env, id: number): Promise<void> {
  await waitFor('the move to be made', async () => ((await call(env.core, 'conversations:get-summary', { id })).mailboxMove === undefined ? true : undefined));
}

/** A port on 127.0.0.1 where nothing listens: the mail server as seen while offline. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe.each(servers)('deleting a conversation with "move to Trash" on, on $server', (s) => {
  it('moves the customer’s mail from INBOX to Trash, keeps the conversation in Deleted, and the watcher carries on without importing it again', async () => {
    const env = await startEnv(s, {});
    const mark = marker();
    const other = marker();
    const conversation = await customerWritesIn(env, mark);
    await customerWritesIn(env, other);
    expect(await onServer(env, mark)).toMatchObject({ inbox: 1, target: 0 });

    await call(env.core, 'conversations:update-many', { ids: [conversation.id], patch: { bin: 'deleted' } });
    await moved(env, conversation.id);
    const server = await onServer(env, mark);
    expect(server).toMatchObject({ inbox: 0, target: 1 });
    // Only that conversation's mail moved.
    expect(await onServer(env, other)).toMatchObject({ inbox: 1, target: 0 });
    const row = env.db.prepare("SELECT mailbox FROM messages WHERE conversation_id = ? AND direction = 'inbound'").get(conversation.id) as { mailbox: string };
    expect(row.mailbox).toBe(server.targetFolder);

    // The watcher saw its inbox shrink and goes on: connected, nothing to report, new mail imported.
    const next = marker();
    await customerWritesIn(env, next);
    const channel = await channelOf(env.core, env.channelId);
    expect(channel?.status.state).toBe('connected');
    expect(channel?.notices.filter((n) => n.kind !== 'idle-silent')).toEqual([]);
    // The moved mail is not imported again: still one conversation, in Deleted, with its one message.
    expect(await find(env, 'all', mark)).toEqual([]);
    const deleted = await find(env, 'deleted', mark);
    expect(deleted.map((c) => [c.id, c.messageCount])).toEqual([[conversation.id, 1]]);
    expect((await call(env.core, 'conversations:get', { id: conversation.id })).messages).toHaveLength(1);
  });
});

describe('a move to Trash that cannot be made yet (Dovecot)', () => {
  it('waits while the server is unreachable, says why on the conversation, and moves once it is back', async () => {
    const env = await startEnv(stack, {});
    const mark = marker();
    const conversation = await customerWritesIn(env, mark);
    const channel = (await channelOf(env.core, env.channelId))!;
    // A saved password belongs to the server it was saved for: with another port it is given again.
    const form = channelToForm(channel);
    const password = stack.users.support.password;
    await call(env.core, 'channels:update', { id: env.channelId, values: { ...form, imap: { ...form.imap, password, port: await closedPort() } } });

    await call(env.core, 'conversations:update-many', { ids: [conversation.id], patch: { bin: 'deleted' } });
    const waiting = await waitFor('the failed move to show', async () => {
      const summary = await call(env.core, 'conversations:get-summary', { id: conversation.id });
      return summary.mailboxMove?.error ? summary.mailboxMove : undefined;
    });
    expect(waiting.folder).toBe('trash');
    expect(waiting.error).toMatch(/refused/i);
    expect((await find(env, 'deleted', mark))[0]?.mailboxMove?.error).toBe(waiting.error);
    expect(await onServer(env, mark)).toMatchObject({ inbox: 1, target: 0 });

    // The server is reachable again (the channel's settings corrected).
    await call(env.core, 'channels:update', { id: env.channelId, values: { ...form, imap: { ...form.imap, password } } });
    await moved(env, conversation.id);
    expect(await onServer(env, mark)).toMatchObject({ inbox: 0, target: 1 });
  });

  it('names a Trash folder that does not exist, and moves once the folder is corrected; a restore before the move leaves the mail where it is', async () => {
    const env = await startEnv(stack, { trashFolder: 'No Such Trash' });
    const mark = marker();
    const conversation = await customerWritesIn(env, mark);
    await call(env.core, 'conversations:update-many', { ids: [conversation.id], patch: { bin: 'deleted' } });
    const waiting = await waitFor(
      'the failed move to show',
      async () => (await call(env.core, 'conversations:get-summary', { id: conversation.id })).mailboxMove?.error ?? undefined,
    );
    expect(waiting).toContain('No Such Trash');

    // Restored before the move was made: nothing moves, and nothing waits any more.
    await call(env.core, 'conversations:update-many', { ids: [conversation.id], patch: { bin: null } });
    expect((await call(env.core, 'conversations:get-summary', { id: conversation.id })).mailboxMove).toBeUndefined();

    const form = channelToForm((await channelOf(env.core, env.channelId))!);
    await call(env.core, 'channels:update', { id: env.channelId, values: { ...form, inbox: { ...form.inbox, trashFolder: '' } } });
    await call(env.core, 'conversations:update-many', { ids: [conversation.id], patch: { bin: 'deleted' } });
    await moved(env, conversation.id);
    expect(await onServer(env, mark)).toMatchObject({ inbox: 0, target: 1 });
  });

  it('with "move spam to Junk" on, marking as spam moves the mail to the folder the server marks \\Junk', async () => {
    const env = await startEnv(stack, { trashOnDelete: false, junkOnSpam: true });
    const mark = marker();
    const conversation = await customerWritesIn(env, mark);
    await call(env.core, 'conversations:update-many', { ids: [conversation.id], patch: { bin: 'spam' } });
    await moved(env, conversation.id);
    expect(await onServer(env, mark, '\\Junk')).toMatchObject({ inbox: 0, target: 1 });
  });
});
