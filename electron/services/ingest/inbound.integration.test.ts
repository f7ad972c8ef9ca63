import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { call, channelFor, marker, waitFor } from '../../../test/support/core';
import { cleanupsAfterAll } from '../../../test/support/cleanups';
import type { ChannelForm } from '../../../shared/channel';
import type { ConversationDetail, ConversationSummary } from '../../../shared/conversation';
import { deliver, imapClient, imapServers, withImapSession, type MailStackInfo, type MailUser } from '../../../test/mailstack/mailstack';
import { tempDir, testKeychainService } from '../../../test/support/temp';
import { createCore, type Core } from '../../core/create-core';

// Inbound mail end to end: Postfix (or an IMAP APPEND) puts mail in the real Dovecot mailbox, the
// core's own watcher, parser and ingestor import it into the real SQLite file, and the test reads
// the result through the router the renderer uses. Nothing is handed to the ingestor directly.
// Results are awaited by polling with generous timeouts: these tests assert behaviour, not timing.

const stack = inject('mailstack');
const REPO = resolve(import.meta.dirname, '../../..');
const WAIT_MS = 30_000;

const onCleanup = cleanupsAfterAll();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function form(server: MailStackInfo, user: MailUser, name: string, inbox: Parameters<typeof channelFor>[2], mailbox = 'INBOX'): ChannelForm {
  const f = channelFor(server, user, inbox);
  return { ...f, name, imap: { ...f.imap, mailbox } };
}

async function waitConnected(core: Core, channelId: string, timeoutMs = WAIT_MS): Promise<void> {
  await waitFor(
    `channel ${channelId} connected`,
    async () => {
      const channel = (await call(core, 'channels:list', {})).find((c) => c.id === channelId);
      return channel?.status.state === 'connected' ? true : undefined;
    },
    timeoutMs,
  );
}

/** Read-only view of the core's SQLite file, for what the contract does not expose (Message-IDs, tokens). */
function readOnly(dataDir: string): Database.Database {
  return new Database(join(dataDir, 'auxilium.sqlite'), { readonly: true, fileMustExist: true });
}

/** Flags per UID of a mailbox, read with EXAMINE so the check itself changes nothing. */
async function mailboxFlags(server: MailStackInfo, user: MailUser, mailbox: string): Promise<Map<number, string[]>> {
  return withImapSession(server, user, async (client) => {
    const lock = await client.getMailboxLock(mailbox, { readOnly: true });
    try {
      const flags = new Map<number, string[]>();
      if ((client.mailbox && client.mailbox.exists) === 0) return flags;
      for await (const msg of client.fetch('1:*', { uid: true, flags: true })) {
        // \Recent belongs to whichever session saw the mail first; it is not something we set.
        flags.set(msg.uid, [...(msg.flags ?? [])].filter((f) => f !== '\\Recent').sort());
      }
      return flags;
    } finally {
      lock.release();
    }
  });
}

// Everything about turning mail into conversations runs against Dovecot and Cyrus; the kill test
// is about the store and runs once.
describe.each(imapServers(stack))('inbound mail through the real mail stack ($server), watcher and SQLite store', (s) => {
  const { support, customer, other } = s.users;

  let core: Core;
  let dataDir: string;
  let db: Database.Database;
  let channelId: string;
  /** support's INBOX before this file put anything there. */
  let inboxBefore: Map<number, string[]>;
  /** How many messages this file put into support's INBOX (deliveries and APPENDs). */
  let putInInbox = 0;

  beforeAll(async () => {
    inboxBefore = await mailboxFlags(s, support, 'INBOX');
    const dir = tempDir('auxilium-inbound-');
    dataDir = dir.path;
    onCleanup(dir.remove);
    core = createCore({ dataDir, version: '0.0.0-test', keychainService: testKeychainService() });
    onCleanup(() => core.stop());
    await core.start();
    // Other suites leave mail in support's INBOX: 'none' imports only what arrives from now on.
    const channel = await call(core, 'channels:create', form(s, support, 'Support', { initialImport: 'none', markSeenOnServer: false }));
    channelId = channel.id;
    onCleanup(async () => void (await core.router.handle('channels:delete', { id: channelId })));
    await waitConnected(core, channelId);
    db = readOnly(dataDir);
    onCleanup(() => void db.close());
  });

  async function send(msg: { from: MailUser; subject: string; text: string; headers?: Record<string, string> }): Promise<void> {
    await deliver(s, { from: msg.from.address, to: support.address, subject: msg.subject, text: msg.text, headers: msg.headers });
    putInInbox += 1;
  }

  async function conversationsWith(mark: string): Promise<ConversationSummary[]> {
    const page = await call(core, 'conversations:list', { view: 'all', channelId, limit: 500 });
    return page.items.filter((c) => c.subject.includes(mark));
  }

  const detail = (id: number) => call(core, 'conversations:get', { id });

  async function waitForMessages(id: number, count: number): Promise<ConversationDetail> {
    return waitFor(`conversation ${id} to hold ${count} messages`, async () => {
      const d = await detail(id);
      return d.messages.length >= count ? d : undefined;
    });
  }

  function messageIdsOf(conversationId: number): string[] {
    return (db.prepare('SELECT message_id FROM messages WHERE conversation_id = ? ORDER BY id').all(conversationId) as { message_id: string | null }[]).map(
      (r) => r.message_id ?? '',
    );
  }

  /** The customer writes in; resolves with the new conversation and its first message's Message-ID. */
  async function newConversation(mark: string): Promise<{ id: number; subject: string; messageId: string }> {
    const subject = `Where is my order ${mark}?`;
    await send({ from: customer, subject, text: `Order ${mark} has not arrived yet.\nRegards, Carol` });
    const [conversation] = await waitFor(`a conversation for ${mark}`, async () => {
      const found = await conversationsWith(mark);
      return found.length > 0 ? found : undefined;
    });
    const [messageId] = messageIdsOf(conversation!.id);
    expect(messageId, 'the store keeps the Message-ID of inbound mail').toMatch(/@/);
    return { id: conversation!.id, subject, messageId: messageId! };
  }

  it('turns mail sent through Postfix into a conversation with subject, customer and body', async () => {
    const mark = marker();
    const { id, subject } = await newConversation(mark);
    const d = await detail(id);
    expect(d.conversation).toMatchObject({ subject, status: 'open', messageCount: 1, customer: { address: customer.address } });
    expect(d.messages).toHaveLength(1);
    expect(d.messages[0]).toMatchObject({ direction: 'inbound', kind: 'normal', subject, from: { address: customer.address }, parseError: null });
    expect(d.messages[0]!.to.map((a) => a.address)).toEqual([support.address]);
    expect(d.messages[0]!.text).toContain(`Order ${mark} has not arrived yet.`);
    expect(await conversationsWith(mark)).toHaveLength(1);
  });

  it('appends a reply with In-Reply-To and References to the same conversation', async () => {
    const mark = marker();
    const first = await newConversation(mark);
    await send({
      from: customer,
      subject: `Re: ${first.subject}`,
      text: `Any news about ${mark}?`,
      headers: { 'In-Reply-To': `<${first.messageId}>`, References: `<${first.messageId}>` },
    });
    const d = await waitForMessages(first.id, 2);
    expect(d.messages).toHaveLength(2);
    expect(d.messages.map((m) => m.text).join('\n')).toContain(`Any news about ${mark}?`);
    expect(d.conversation.messageCount).toBe(2);
    expect(await conversationsWith(mark)).toHaveLength(1);
  });

  it('threads a reply with rewritten headers by the subject token, but never another sender into that thread', async () => {
    const mark = marker();
    const first = await newConversation(mark);
    const { token } = db.prepare('SELECT token FROM conversations WHERE id = ?').get(first.id) as { token: string };
    expect(token).toMatch(/^[A-Z0-9]{6,16}$/);

    // As from a client that drops In-Reply-To/References and mints a new Message-ID (nodemailer
    // makes a fresh one and adds no threading headers of its own).
    await send({ from: customer, subject: `RE: AW: ${first.subject} [#${token}]`, text: `Replying from Outlook about ${mark}.` });
    const d = await waitForMessages(first.id, 2);
    expect(d.messages.map((m) => m.text).join('\n')).toContain(`Replying from Outlook about ${mark}.`);
    const ids = messageIdsOf(first.id);
    expect(new Set(ids).size).toBe(2);

    // Someone else copying the token into a subject starts a conversation of their own.
    const intruder = marker();
    await send({ from: other, subject: `Re: ${intruder} [#${token}]`, text: `Not Carol: ${intruder}` });
    const [theirs] = await waitFor(`a conversation for ${intruder}`, async () => {
      const found = await conversationsWith(intruder);
      return found.length > 0 ? found : undefined;
    });
    expect(theirs!.id).not.toBe(first.id);
    expect(theirs!.customer.address).toBe(other.address);
    expect((await detail(first.id)).messages).toHaveLength(2);
  });

  it('recognises an auto-reply and a bounce, attaches them to the conversation and does not reopen it', async () => {
    const mark = marker();
    const first = await newConversation(mark);
    await call(core, 'conversations:set-status', { id: first.id, status: 'closed' });
    const countsBefore = await call(core, 'conversations:count', {});

    await send({
      from: customer,
      subject: `Automatic reply: ${first.subject}`,
      text: `I am out of the office until Monday (${mark}).`,
      headers: { 'Auto-Submitted': 'auto-replied', 'In-Reply-To': `<${first.messageId}>`, References: `<${first.messageId}>` },
    });

    // A delivery status report about the first message, as an MTA sends it: no Auto-Submitted,
    // only the report type, the MAILER-DAEMON sender and the returned headers say what it is.
    const boundary = `dsn-${mark}`;
    const bounce = [
      `From: Mail Delivery System <MAILER-DAEMON@${support.address.split('@')[1]}>`,
      `To: ${support.address}`,
      `Subject: Undelivered Mail Returned to Sender ${mark}`,
      `Message-ID: <dsn-${mark}@mx.auxilium.test>`,
      `Date: ${new Date().toUTCString().replace('GMT', '+0000')}`,
      'MIME-Version: 1.0',
      `Content-Type: multipart/report; report-type=delivery-status; boundary="${boundary}"`,
      '',
      `--${boundary}`,
      'Content-Type: text/plain; charset=us-ascii',
      '',
      `Your message could not be delivered (${mark}).`,
      `--${boundary}`,
      'Content-Type: message/delivery-status',
      '',
      'Reporting-MTA: dns; mx.auxilium.test',
      '',
      'Final-Recipient: rfc822; gone@elsewhere.example',
      'Action: failed',
      'Status: 5.1.1',
      `--${boundary}`,
      'Content-Type: text/rfc822-headers',
      '',
      `From: ${customer.address}`,
      `To: gone@elsewhere.example`,
      `Subject: ${first.subject}`,
      `Message-ID: <${first.messageId}>`,
      `--${boundary}--`,
      '',
    ].join('\r\n');
    await withImapSession(s, support, async (client) => {
      await client.append('INBOX', bounce, []);
      putInInbox += 1;
    });

    const d = await waitForMessages(first.id, 3);
    expect(d.messages.map((m) => m.kind).sort()).toEqual(['auto-reply', 'bounce', 'normal']);
    expect(d.messages.find((m) => m.kind === 'auto-reply')!.text).toContain(`out of the office until Monday (${mark})`);
    expect(d.messages.find((m) => m.kind === 'bounce')!.from.address.toLowerCase()).toMatch(/^mailer-daemon@/);
    expect(d.conversation.status).toBe('closed');
    expect(await conversationsWith(mark)).toHaveLength(1);
    expect((await call(core, 'conversations:count', {})).all).toBe(countsBefore.all);
    // Still closed a moment later (nothing asynchronous reopens it).
    await sleep(500);
    expect((await detail(first.id)).conversation.status).toBe('closed');
  });

  it('reopens a closed conversation when the customer replies', async () => {
    const mark = marker();
    const first = await newConversation(mark);
    const closed = await call(core, 'conversations:set-status', { id: first.id, status: 'closed' });
    expect(closed.conversation.status).toBe('closed');
    await send({
      from: customer,
      subject: `Re: ${first.subject}`,
      text: `It still has not arrived (${mark}).`,
      headers: { 'In-Reply-To': `<${first.messageId}>`, References: `<${first.messageId}>` },
    });
    const d = await waitForMessages(first.id, 2);
    expect(d.conversation.status).toBe('open');
    expect(d.messages.map((m) => m.kind)).toEqual(['normal', 'normal']);
    expect(await conversationsWith(mark)).toHaveLength(1);
  });

  // ---- kill mid-batch ----

  const BULK = 300;
  let bulkMailbox: string | undefined;

  (s.server === 'dovecot' ? it : it.skip)(
    'loses and duplicates nothing when the core is killed in the middle of an import',
    async () => {
      bulkMailbox = `Kill-${randomBytes(4).toString('hex')}`;
      const tag = randomBytes(4).toString('hex');
      const appended: string[] = [];
      const client = imapClient(s, other);
      await client.connect();
      onCleanup(async () => {
        await withImapSession(s, other, async (c) => {
          await c.mailboxDelete(bulkMailbox!);
        });
      });
      try {
        await client.mailboxCreate(bulkMailbox);
        for (let i = 0; i < BULK; i++) {
          const messageId = `bulk-${i}-${tag}@customers.example`;
          appended.push(messageId);
          const raw = [
            `From: Customer ${i} <customer${i}@customers.example>`,
            `To: ${other.address}`,
            `Subject: Bulk question ${i} ${tag}`,
            `Message-ID: <${messageId}>`,
            `Date: ${new Date(Date.now() - (BULK - i) * 60_000).toUTCString().replace('GMT', '+0000')}`,
            'Content-Type: text/plain; charset=utf-8',
            '',
            `Question number ${i}.`,
            // Some body, so the import takes long enough to be interrupted.
            ...Array.from({ length: 40 }, (_, n) => `line ${n} of message ${i}: ${'lorem ipsum dolor sit amet '.repeat(3)}`),
            '',
          ].join('\r\n');
          await client.append(bulkMailbox, raw, []);
        }
      } finally {
        await client.logout().catch(() => client.close());
      }

      const dir = tempDir('auxilium-kill-');
      onCleanup(dir.remove);
      const keychainService = testKeychainService();
      const channelForm = form(s, other, 'Bulk', { initialImport: 'all', markSeenOnServer: false }, bulkMailbox);

      // node itself rather than the tsx wrapper script: SIGKILL to the wrapper left the inner node importing on.
      const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'test/support/inbound-core-child.ts')], {
        cwd: REPO,
        env: { ...process.env, AUX_CHILD_DATA_DIR: dir.path, AUX_CHILD_KEYCHAIN: keychainService, AUX_CHILD_CHANNEL_FORM: JSON.stringify(channelForm) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-20_000)));
      const exited = new Promise<NodeJS.Signals | number | null>((res) => child.once('exit', (code, signal) => res(signal ?? code)));
      let exitedEarly = false;
      void exited.then(() => (exitedEarly = true));
      onCleanup(() => void (child.exitCode === null && child.signalCode === null && child.kill('SIGKILL')));

      // Kill as soon as the file shows part of the import.
      const file = join(dir.path, 'auxilium.sqlite');
      let probe: Database.Database | undefined;
      const count = (d: Database.Database) => (d.prepare('SELECT count(*) AS n FROM messages').get() as { n: number }).n;
      let atKill: number;
      try {
        atKill = await waitFor(
          'part of the import in the SQLite file',
          () => {
            if (exitedEarly) throw new Error(`the child core exited before it was killed:\n${output}`);
            if (!probe && existsSync(file)) probe = readOnly(dir.path);
            if (!probe) return undefined;
            let n: number;
            try {
              n = count(probe);
            } catch {
              return undefined; // schema not there yet
            }
            if (n >= BULK) throw new Error('the child imported everything before it could be killed; nothing was interrupted');
            if (n > 0) {
              child.kill('SIGKILL');
              return n;
            }
            return undefined;
          },
          90_000,
        );
      } finally {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
      expect(await exited).toBe('SIGKILL');
      const afterKill = count(probe!);
      probe!.close();
      expect(atKill).toBeGreaterThan(0);
      expect(afterKill, 'the kill landed after the import finished').toBeLessThan(BULK);

      // A fresh core on the same data dir (the channel and its keychain entries are the child's).
      const again = createCore({ dataDir: dir.path, version: '0.0.0-test', keychainService });
      onCleanup(() => again.stop());
      await again.start();
      const [bulkChannel] = await call(again, 'channels:list', {});
      expect(bulkChannel?.imap.mailbox).toBe(bulkMailbox);
      onCleanup(async () => void (await again.router.handle('channels:delete', { id: bulkChannel!.id })));

      const check = readOnly(dir.path);
      onCleanup(() => void check.close());
      await waitFor(
        `all ${BULK} messages after the restart`,
        () => {
          const cursor = check.prepare('SELECT backfill_below_uid AS below FROM sync_cursors WHERE channel_id = ?').get(bulkChannel!.id) as
            { below: number | null } | undefined;
          return count(check) >= BULK && cursor && cursor.below === null ? true : undefined;
        },
        90_000,
      );
      await waitConnected(again, bulkChannel!.id, 60_000);

      const stored = check.prepare('SELECT message_id AS id FROM messages ORDER BY id').all() as { id: string | null }[];
      expect(stored).toHaveLength(BULK);
      const ids = stored.map((r) => r.id);
      expect(new Set(ids).size, 'duplicate Message-IDs').toBe(BULK);
      expect([...ids].sort()).toEqual([...appended].sort());
      const uids = check.prepare('SELECT count(DISTINCT uid) AS n FROM messages').get() as { n: number };
      expect(uids.n).toBe(BULK);
      expect((await call(again, 'conversations:list', { view: 'all', limit: 1 })).total).toBe(BULK);
      // History, not work: the backlog of an "import all" is out of the open queue.
      expect((await call(again, 'conversations:count', {})).all).toBe(0);
    },
    240_000,
  );

  it('leaves the server mailboxes unchanged: nothing flagged \\Seen, nothing removed', async () => {
    const after = await mailboxFlags(s, support, 'INBOX');
    for (const [uid, flags] of inboxBefore) expect(after.get(uid), `flags of UID ${uid}`).toEqual(flags);
    const added = [...after.keys()].filter((uid) => !inboxBefore.has(uid));
    expect(added).toHaveLength(putInInbox);
    for (const uid of added) expect(after.get(uid), `flags of new UID ${uid}`).not.toContain('\\Seen');

    if (bulkMailbox) {
      const bulk = await mailboxFlags(s, other, bulkMailbox);
      expect(bulk.size).toBe(BULK);
      expect([...bulk.values()].filter((flags) => flags.includes('\\Seen'))).toEqual([]);
    }
  });
});
