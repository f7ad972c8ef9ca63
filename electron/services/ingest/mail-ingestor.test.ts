import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { tempDir } from '../../../test/support/temp';
import { INLINE_LIMIT } from '../store/raw-store';
import { channelRecord, fetched, mail, openHarness, SUPPORT, type Harness } from '../../../test/support/mail-harness';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function setup(options: Parameters<typeof openHarness>[1] = {}): Harness {
  const dir = tempDir('auxilium-ingest-');
  const harness = openHarness(dir.path, options);
  cleanups.push(dir.remove, () => harness.close());
  return harness;
}

function messageCount(h: Harness): number {
  return (h.db.prepare('SELECT count(*) AS n FROM messages').get() as { n: number }).n;
}

function conversationOf(h: Harness, messageId: string): number | undefined {
  return h.store.conversationByMessageId(h.position.channelId, messageId);
}

describe('MailIngestor', () => {
  it("turns a customer's new mail into an open, unread conversation and moves the cursor", async () => {
    const h = setup();
    const outcome = await h.ingestor.ingest(h.position, [fetched(mail({ messageId: '<m1@example.com>', replyTo: 'Carol Home <carol@home.test>' }), 7)], {
      advanceTo: 7,
    });
    expect(outcome.created).toHaveLength(1);
    const conversation = h.store.conversation(outcome.created[0]!)!;
    expect(conversation).toMatchObject({ status: 'open', unread: true, messageCount: 1, subject: 'Help with my order', assigneeId: null });
    expect(conversation.customer).toEqual({ name: 'Carol Home', address: 'carol@home.test' });
    // Kept with the message at import, for the composer's To and the sender.
    expect(h.store.messages(conversation.id)[0]!.replyTo).toEqual([{ name: 'Carol Home', address: 'carol@home.test' }]);
    expect(conversation.snippet).toBe('Hello, my order has not arrived.');
    expect(h.ingestor.cursor(h.position.channelId, 'INBOX')).toMatchObject({ uidValidity: '1', lastUid: 7 });
    expect(h.changes).toEqual([{ ids: outcome.created, created: outcome.created, replied: [] }]);
  });

  it('keeps mail nobody has to answer out of the open queue, and says which conversations a customer wrote to again', async () => {
    const h = setup();
    const first = await h.ingestor.ingest(h.position, [fetched(mail({ messageId: '<o1@example.com>' }), 1)], { advanceTo: 1 });
    const id = first.created[0]!;
    h.team.setStatus(id, 'pending');
    const auto = mail({ from: 'ooo@example.com', subject: 'Out of office', messageId: '<ooo@example.com>', headers: { 'Auto-Submitted': 'auto-replied' } });
    const list = mail({ from: 'news@list.test', subject: 'Newsletter', messageId: '<news@list.test>', headers: { 'List-Id': '<news.list.test>' } });
    const answer = mail({ messageId: '<o2@example.com>', inReplyTo: '<o1@example.com>', body: 'Any news?' });
    const outcome = await h.ingestor.ingest(h.position, [fetched(auto, 2), fetched(list, 3), fetched(answer, 4)], { advanceTo: 4 });
    expect(outcome.created).toHaveLength(2);
    for (const created of outcome.created) expect(h.store.conversation(created)).toMatchObject({ status: 'closed', assigneeId: null });
    // The customer's answer opens their conversation again and is announced as a reply, not as new.
    expect(h.store.conversation(id)!.status).toBe('open');
    expect(h.changes.at(-1)).toMatchObject({ created: outcome.created, replied: [id] });
    expect(h.conversations.list({ view: 'all', status: 'active', limit: 10 }).items.map((c) => c.id)).toEqual([id]);
  });

  it('imports the backlog of an "import all" first sync closed and unrouted, and new mail after it open', async () => {
    const dir = tempDir('auxilium-ingest-');
    const agent = { name: 'Ada', email: 'ada@acme.test' };
    const h = openHarness(dir.path, { channel: channelRecord('ch1', { initialImport: 'all', routing: 'round-robin' }) });
    cleanups.push(dir.remove, () => h.close());
    const ada = h.agents.insert(agent);
    h.channels.save(channelRecord('ch1', { initialImport: 'all', routing: 'round-robin', agentIds: [ada.id] }));
    const backlog = await h.ingestor.ingest(h.position, [fetched(mail({ messageId: '<old@example.com>', subject: 'Old question' }), 3)], { backfillBelow: 3 });
    expect(h.store.conversation(backlog.created[0]!)).toMatchObject({ status: 'closed', assigneeId: null });
    expect(h.changes.at(-1)!.replied).toEqual([]);
    const fresh = await h.ingestor.ingest(h.position, [fetched(mail({ messageId: '<new@example.com>', subject: 'New question' }), 10)], { advanceTo: 10 });
    expect(h.store.conversation(fresh.created[0]!)).toMatchObject({ status: 'open', assigneeId: ada.id });
  });

  it('threads replies by In-Reply-To and References, and reopens a closed conversation', async () => {
    const h = setup();
    const first = await h.ingestor.ingest(h.position, [fetched(mail({ messageId: '<m1@example.com>' }))], {});
    const id = first.created[0]!;
    h.team.setStatus(id, 'closed');
    h.store.markRead(id);
    const reply = await h.ingestor.ingest(
      h.position,
      [fetched(mail({ messageId: '<m2@example.com>', inReplyTo: '<m1@example.com>', subject: 'Re: Help' }))],
      {},
    );
    expect(reply).toMatchObject({ created: [], touched: [id] });
    const third = await h.ingestor.ingest(h.position, [fetched(mail({ messageId: '<m3@example.com>', references: ['<gone@x>', '<m2@example.com>'] }))], {});
    expect(third.touched).toEqual([id]);
    expect(h.store.conversation(id)).toMatchObject({ status: 'open', unread: true, messageCount: 3 });
  });

  it("shows a thread in the order its mail reached the server, whatever the sender's clock says", async () => {
    const h = setup();
    const arrived = (source: Buffer, uid: number, at: string) => ({ ...fetched(source, uid), internalDate: new Date(at) });
    const first = await h.ingestor.ingest(
      h.position,
      [arrived(mail({ messageId: '<q1@example.com>', date: 'Tue, 24 Nov 2026 10:00:00 +0000' }), 1, '2026-11-24T10:00:04Z')],
      {},
    );
    const id = first.created[0]!;
    h.store.insertMessage(
      {
        conversationId: id,
        channelId: 'ch1',
        direction: 'outbound',
        kind: 'normal',
        messageId: 'a1@acme.test',
        inReplyTo: 'q1@example.com',
        references: ['q1@example.com'],
        dedupeKey: null,
        subject: 'Re: Help with my order',
        from: { name: 'Acme', address: SUPPORT },
        to: [{ name: '', address: 'carol@example.com' }],
        cc: [],
        date: '2026-11-24T10:30:00.000Z',
        text: 'It ships today.',
        html: null,
        parseError: null,
        raw: null,
        rawPath: null,
        size: 15,
        authorAgentId: null,
        createdAt: '2026-11-24T10:30:00.000Z',
        attachments: [],
      },
      { at: '2026-11-24T10:30:00.000Z', unread: false, reopen: false, summary: true },
    );
    // The customer's clock is an hour behind: the answer says 09:45 but reached the server at 10:45.
    const answer = mail({ messageId: '<q2@example.com>', inReplyTo: '<a1@acme.test>', date: 'Tue, 24 Nov 2026 09:45:00 +0000', body: 'Thanks!' });
    await h.ingestor.ingest(h.position, [arrived(answer, 2, '2026-11-24T10:45:00Z')], {});
    expect(h.store.messages(id).map((m) => m.text.trim())).toEqual(['Hello, my order has not arrived.', 'It ships today.', 'Thanks!']);
  });

  it('threads by the subject token only for people who took part', async () => {
    const h = setup();
    const { created } = await h.ingestor.ingest(h.position, [fetched(mail({ cc: 'Boss <boss@example.com>' }))], {});
    const token = h.store.conversation(created[0]!)!.token;
    const boss = await h.ingestor.ingest(h.position, [fetched(mail({ from: 'boss@example.com', subject: `Re: Help [#${token}]` }))], {});
    expect(boss.touched).toEqual(created);
    const stranger = await h.ingestor.ingest(h.position, [fetched(mail({ from: 'mallory@evil.test', subject: `Re: Help [#${token}]` }))], {});
    expect(stranger.created).toHaveLength(1);
    expect(stranger.created[0]).not.toBe(created[0]);
  });

  it('imports the same message once: same UID again, or seen twice with other trace headers', async () => {
    const h = setup();
    const original = mail({ messageId: '<dup@example.com>' });
    await h.ingestor.ingest(h.position, [fetched(original, 1)], { advanceTo: 1 });
    const again = await h.ingestor.ingest(h.position, [fetched(original, 1)], { advanceTo: 1 });
    const copy = Buffer.concat([Buffer.from('Delivered-To: other-alias@acme.test\r\nReceived: from mx2\r\n'), original]);
    const asCc = await h.ingestor.ingest(h.position, [fetched(copy, 2)], { advanceTo: 2 });
    const resynced = await h.ingestor.ingest({ ...h.position, uidValidity: '99' }, [fetched(original, 1)], {});
    expect([again.duplicates, asCc.duplicates, resynced.duplicates]).toEqual([1, 1, 1]);
    expect(messageCount(h)).toBe(1);
  });

  it('records attachments, and removes the files the parser wrote for a duplicate', async () => {
    const h = setup();
    const withFile = Buffer.from(
      [
        'From: carol@example.com',
        `To: ${SUPPORT}`,
        'Subject: Photo',
        'Message-ID: <photo@example.com>',
        'Date: Tue, 24 Nov 2026 10:00:00 +0000',
        'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="B"',
        '',
        '--B',
        'Content-Type: text/plain',
        '',
        'See attached.',
        '--B',
        'Content-Type: application/pdf; name="label.pdf"',
        'Content-Disposition: attachment; filename="label.pdf"',
        'Content-Transfer-Encoding: base64',
        '',
        Buffer.from('%PDF-1.4 label').toString('base64'),
        '--B--',
        '',
      ].join('\r\n'),
    );
    const attachmentFiles = () => (existsSync(join(h.dir, 'attachments')) ? readdirSync(join(h.dir, 'attachments')) : []);
    const { created } = await h.ingestor.ingest(h.position, [fetched(withFile)], {});
    expect(h.store.messages(created[0]!)[0]!.attachments).toMatchObject([{ filename: 'label.pdf', contentType: 'application/pdf', size: 14, inline: false }]);
    expect(attachmentFiles()).toHaveLength(1);
    const again = await h.ingestor.ingest(h.position, [fetched(Buffer.concat([Buffer.from('X-Copy: 2\r\n'), withFile]))], {});
    expect(again.duplicates).toBe(1);
    expect(attachmentFiles()).toHaveLength(1);
  });

  it('keeps a different message that reuses a Message-ID', async () => {
    const h = setup();
    await h.ingestor.ingest(
      h.position,
      [fetched(mail({ messageId: '<same@example.com>', body: 'first' })), fetched(mail({ messageId: '<same@example.com>', body: 'second' }))],
      {},
    );
    expect(messageCount(h)).toBe(2);
  });

  it('dedupes mail without a Message-ID by sender, date, subject and body', async () => {
    const h = setup();
    const a = mail({ messageId: null, body: 'no id' });
    const outcome = await h.ingestor.ingest(h.position, [fetched(a), fetched(a), fetched(mail({ messageId: null, body: 'no id, other' }))], {});
    expect(outcome.duplicates).toBe(1);
    expect(messageCount(h)).toBe(2);
  });

  it('keeps a message that fails to parse, raw and flagged', async () => {
    const h = setup({ parser: { parse: async () => ({ ok: false, error: 'Parsing took too long' }) } });
    const raw = mail({ subject: 'broken' });
    const outcome = await h.ingestor.ingest(h.position, [fetched(raw)], {});
    expect(outcome.unparsed).toBe(1);
    const [message] = h.store.messages(outcome.created[0]!);
    expect(message).toMatchObject({ parseError: 'Parsing took too long', subject: '(message could not be read)' });
    expect(await h.conversations.raw(message!.id)).toEqual({ raw: raw.toString('utf8'), truncated: false });
  });

  it('stores large raw mail as a file and streams it back truncated at the limit', async () => {
    const h = setup();
    const body = 'x'.repeat(76) + '\r\n';
    const big = mail({ body: body.repeat(Math.ceil((INLINE_LIMIT * 12) / body.length)) });
    const outcome = await h.ingestor.ingest(h.position, [{ uid: 1, size: big.length, source: Readable.from([big.subarray(0, 1000), big.subarray(1000)]) }], {});
    const [message] = h.store.messages(outcome.created[0]!);
    expect(readdirSync(join(h.dir, 'raw')).filter((name) => name.endsWith('.eml'))).toHaveLength(1);
    const shown = await h.conversations.raw(message!.id);
    expect(shown.truncated).toBe(true);
    expect(shown.raw.length).toBe(2 * 1024 * 1024);
  });

  it('marks auto-replies, lists and bounces, never routes them, and attaches a bounce to its conversation', async () => {
    const h = setup({ channel: channelRecord('ch1', { routing: 'round-robin', agentIds: [] }) });
    const agent = h.agents.insert({ name: 'Ann', email: 'ann@acme.test' });
    h.channels.save(channelRecord('ch1', { routing: 'round-robin', agentIds: [agent.id] }));
    const { created } = await h.ingestor.ingest(h.position, [fetched(mail({ messageId: '<order@example.com>' }))], {});
    const id = created[0]!;
    h.team.setStatus(id, 'closed');
    const bounce = Buffer.from(
      [
        'From: MAILER-DAEMON@mx.acme.test',
        `To: ${SUPPORT}`,
        'Subject: Undelivered Mail Returned to Sender',
        'Message-ID: <bounce1@mx.acme.test>',
        'Date: Tue, 24 Nov 2026 11:00:00 +0000',
        'MIME-Version: 1.0',
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"',
        '',
        '--B',
        'Content-Type: text/plain',
        '',
        'Delivery failed.',
        '--B',
        'Content-Type: message/delivery-status',
        '',
        'Reporting-MTA: dns; mx.acme.test',
        '',
        'Final-Recipient: rfc822; carol@example.com',
        'Action: failed',
        'Status: 5.1.1',
        '',
        '--B',
        'Content-Type: text/rfc822-headers',
        '',
        'Message-ID: <order@example.com>',
        'Subject: Help',
        '',
        '--B--',
        '',
      ].join('\r\n'),
    );
    const auto = mail({ from: 'ooo@example.com', subject: 'Out of office', headers: { 'Auto-Submitted': 'auto-replied' } });
    const list = mail({ from: 'news@list.test', headers: { 'List-Id': '<news.list.test>' } });
    const outcome = await h.ingestor.ingest(h.position, [fetched(bounce), fetched(auto), fetched(list)], {});
    const kinds = h.db.prepare('SELECT kind, conversation_id AS c FROM messages ORDER BY id').all() as { kind: string; c: number }[];
    expect(kinds.map((k) => k.kind)).toEqual(['normal', 'bounce', 'auto-reply', 'list']);
    expect(kinds[1]!.c).toBe(id);
    expect(h.store.conversation(id)!.status).toBe('closed');
    for (const other of outcome.created) expect(h.store.conversation(other)!.assigneeId).toBeNull();
    expect(h.store.conversation(id)!.assigneeId).toBe(agent.id);
  });

  it('attaches our own mail when it threads and never starts a conversation with it', async () => {
    const h = setup();
    const { created } = await h.ingestor.ingest(h.position, [fetched(mail({ messageId: '<q@example.com>' }))], {});
    const token = h.store.conversation(created[0]!)!.token;
    const ownReply = mail({ from: `Acme <${SUPPORT}>`, to: 'carol@example.com', messageId: `<aux.${token}.abc@acme.test>`, inReplyTo: '<q@example.com>' });
    const ownStray = mail({ from: `Acme <${SUPPORT}>`, to: 'x@example.com', messageId: '<aux.ZZZZ9999.abc@acme.test>' });
    const stray = fetched(ownStray);
    const outcome = await h.ingestor.ingest(h.position, [fetched(ownReply), stray], {});
    expect(outcome).toMatchObject({ created: [], touched: created, duplicates: 0 });
    const last = h.store.messages(created[0]!).at(-1)!;
    expect(last).toMatchObject({ direction: 'outbound', kind: 'own' });
    // Kept aside until a message it belongs with arrives; not a conversation of its own.
    expect(h.store.list({ view: 'all', meAgentId: null, limit: 10 }).total).toBe(1);
    expect(h.store.hasUid(h.position, stray.uid)).toBe(true);
  });

  it('routes new conversations round-robin among existing agents and continues after a restart', async () => {
    const dir = tempDir('auxilium-rr-');
    cleanups.push(dir.remove);
    const first = openHarness(dir.path);
    const [a, b, c] = ['a', 'b', 'c'].map((n) => first.agents.insert({ name: n, email: `${n}@acme.test` }));
    first.channels.save(channelRecord('ch1', { routing: 'round-robin', agentIds: [a!.id, b!.id, 999, c!.id] }));
    const assignees = async (h: Harness, count: number): Promise<(number | null)[]> => {
      const out: (number | null)[] = [];
      for (let i = 0; i < count; i++) {
        const { created } = await h.ingestor.ingest(h.position, [fetched(mail({ from: `c${Math.random()}@example.com` }))], {});
        out.push(h.store.conversation(created[0]!)!.assigneeId);
      }
      return out;
    };
    expect(await assignees(first, 2)).toEqual([a!.id, b!.id]);
    await first.close();
    const second = openHarness(dir.path);
    cleanups.push(() => second.close());
    expect(await assignees(second, 2)).toEqual([c!.id, a!.id]);
    second.agents.delete(b!.id);
    expect(await assignees(second, 2)).toEqual([c!.id, a!.id]);
  });

  it('rolls back a batch that fails midway: no messages, no cursor move; a re-run then adds everything once', async () => {
    const h = setup();
    h.ingestor.resetCursor({ ...h.position, lastUid: 0, backfillBelowUid: null, backfillSince: null });
    const batch = [fetched(mail(), 1), fetched(mail(), 2), fetched(mail(), 3)];
    const insert = h.store.insertMessage.bind(h.store);
    let calls = 0;
    const spy = vi.spyOn(h.store, 'insertMessage').mockImplementation((...args) => {
      if (++calls === 2) throw new Error('disk full');
      return insert(...args);
    });
    await expect(h.ingestor.ingest(h.position, batch, { advanceTo: 3 })).rejects.toThrow('disk full');
    expect(messageCount(h)).toBe(0);
    expect(h.ingestor.cursor('ch1', 'INBOX')!.lastUid).toBe(0);
    expect((h.db.prepare('SELECT count(*) AS n FROM conversations').get() as { n: number }).n).toBe(0);
    spy.mockRestore();
    const retry = () => [1, 2, 3].map((uid) => fetched(mail({ messageId: `<r${uid}@example.com>` }), uid));
    await h.ingestor.ingest(h.position, retry(), { advanceTo: 3 });
    const rerun = await h.ingestor.ingest(h.position, retry(), { advanceTo: 3 });
    expect(rerun).toMatchObject({ created: [], touched: [], duplicates: 3 });
    expect(messageCount(h)).toBe(3);
    expect(h.ingestor.cursor('ch1', 'INBOX')!.lastUid).toBe(3);
  });

  it('stores overlapping batches in the order handed over, and never one whose predecessor failed', async () => {
    const h = setup();
    h.ingestor.resetCursor({ ...h.position, lastUid: 0, backfillBelowUid: 100, backfillSince: null });
    // Both handed over at once: the second is parsed meanwhile, but stored only after the first.
    const first = h.ingestor.ingest(h.position, [fetched(mail({ messageId: '<o1@example.com>' }), 90)], { backfillBelow: 90 });
    const second = h.ingestor.ingest(h.position, [fetched(mail({ messageId: '<o2@example.com>' }), 80)], { backfillBelow: 80 });
    await Promise.all([first, second]);
    expect(h.ingestor.cursor('ch1', 'INBOX')!.backfillBelowUid).toBe(80);

    const spy = vi.spyOn(h.store, 'insertMessage').mockImplementationOnce(() => {
      throw new Error('disk full');
    });
    const failing = h.ingestor.ingest(h.position, [fetched(mail({ messageId: '<o3@example.com>' }), 70)], { backfillBelow: 70 });
    const after = h.ingestor.ingest(h.position, [fetched(mail({ messageId: '<o4@example.com>' }), 60)], { backfillBelow: 60 });
    await expect(failing).rejects.toThrow('disk full');
    await expect(after).rejects.toThrow(/earlier batch/);
    spy.mockRestore();
    expect(messageCount(h)).toBe(2);
    expect(h.ingestor.cursor('ch1', 'INBOX')!.backfillBelowUid).toBe(80);
    // A batch handed over after the failure settled stands on its own again.
    await h.ingestor.ingest(h.position, [fetched(mail({ messageId: '<o3@example.com>' }), 70)], { backfillBelow: 70 });
    expect(messageCount(h)).toBe(3);
  });

  it('finishes a batch in progress when closed, then refuses new ones', async () => {
    const h = setup();
    const inFlight = h.ingestor.ingest(h.position, [fetched(mail())], { advanceTo: 1 });
    await h.ingestor.close();
    await expect(inFlight).resolves.toMatchObject({ unparsed: 0 });
    expect(h.store.messages((await inFlight).created[0]!)[0]!.parseError).toBeNull();
    await expect(h.ingestor.ingest(h.position, [fetched(mail())], {})).rejects.toThrow(/shutting down/);
  });

  it('moves the backfill cursor downwards and ignores a batch from an old UIDVALIDITY', async () => {
    const h = setup();
    h.ingestor.resetCursor({ ...h.position, lastUid: 500, backfillBelowUid: 500, backfillSince: '2026-11-10' });
    await h.ingestor.ingest(h.position, [fetched(mail(), 450)], { backfillBelow: 450 });
    expect(h.ingestor.cursor('ch1', 'INBOX')).toMatchObject({ lastUid: 500, backfillBelowUid: 450, backfillSince: '2026-11-10' });
    await h.ingestor.ingest({ ...h.position, uidValidity: 'old' }, [fetched(mail(), 600)], { advanceTo: 600 });
    expect(h.ingestor.cursor('ch1', 'INBOX')!.lastUid).toBe(500);
    expect(existsSync(join(h.dir, 'auxilium.sqlite'))).toBe(true);
  });
});

describe('threading in any arrival order', () => {
  const sent = (h: Harness) => ({ ...h.position, mailbox: 'Sent', role: 'sent' as const });
  const list = (h: Harness) => h.store.list({ view: 'all', meAgentId: null, limit: 50 });
  const CUSTOMER = 'Carol Customer <carol@example.com>';
  const AGENT = `Acme <${SUPPORT}>`;
  /** Fetched mail that reached the server at minute `n` of the test's morning. */
  const arrived = (source: Buffer, n: number) => ({ ...fetched(source), internalDate: new Date(Date.UTC(2026, 10, 24, 10, n)) });

  /** A thread of 7: the customer writes 1, 3, 5, 7 (to the inbox), support answers 2, 4, 6 (in Sent). */
  function thread(): { id: string; n: number; source: Buffer; sent: boolean }[] {
    const ids = [1, 2, 3, 4, 5, 6, 7].map((n) => `<t${n}@thread.test>`);
    return ids.map((id, i) => {
      const fromSupport = i % 2 === 1;
      return {
        id,
        n: i + 1,
        sent: fromSupport,
        source: mail({
          from: fromSupport ? AGENT : CUSTOMER,
          to: fromSupport ? 'carol@example.com' : SUPPORT,
          subject: i === 0 ? 'Printer' : 'Re: Printer',
          messageId: id,
          ...(i > 0 ? { inReplyTo: ids[i - 1]!, references: ids.slice(0, i) } : {}),
          body: `message ${i + 1}`,
        }),
      };
    });
  }

  it('imports a thread newest first, inbox and Sent interleaved, as one conversation in order', async () => {
    const h = setup();
    const messages = thread();
    // Newest first, each mailbox as its own batch stream; the Sent folder's newest goes before any customer mail.
    for (const m of [...messages].reverse().sort((a, b) => Number(b.sent) - Number(a.sent))) {
      await h.ingestor.ingest(m.sent ? sent(h) : h.position, [arrived(m.source, m.n)], {});
    }
    const page = list(h);
    expect(page.total).toBe(1);
    const conversation = page.items[0]!;
    expect(conversation.messageCount).toBe(7);
    expect(conversation.subject).toBe('Printer');
    const shown = h.store.messages(conversation.id);
    expect(shown.map((m) => m.text.trim())).toEqual([1, 2, 3, 4, 5, 6, 7].map((n) => `message ${n}`));
    expect(shown.map((m) => m.direction)).toEqual(['inbound', 'outbound', 'inbound', 'outbound', 'inbound', 'outbound', 'inbound']);
    expect(h.db.prepare('SELECT count(*) AS n FROM parked_messages').get()).toEqual({ n: 0 });
    // Search finds every message under the one conversation.
    expect(h.store.list({ view: 'all', meAgentId: null, limit: 10, query: 'message' }).items.map((c) => c.id)).toEqual([conversation.id]);
  });

  it('joins conversations that were started before the message linking them arrived', async () => {
    const h = setup();
    // Clients that keep only In-Reply-To: 3 and 1 start two conversations; 2 (in Sent) links them.
    const one = mail({ from: CUSTOMER, messageId: '<j1@x.test>', body: 'first' });
    const two = mail({ from: AGENT, to: 'carol@example.com', messageId: '<j2@x.test>', inReplyTo: '<j1@x.test>', body: 'second' });
    const three = mail({ from: CUSTOMER, messageId: '<j3@x.test>', inReplyTo: '<j2@x.test>', body: 'third' });
    const a = (await h.ingestor.ingest(h.position, [arrived(three, 3)], {})).created[0]!;
    const b = (await h.ingestor.ingest(h.position, [arrived(one, 1)], {})).created[0]!;
    expect(list(h).total).toBe(2);
    const outcome = await h.ingestor.ingest(sent(h), [arrived(two, 2)], {});
    expect(list(h).total).toBe(1);
    // The conversation whose first message arrived first stays (message 1's).
    const kept = list(h).items[0]!;
    expect(outcome.touched).toEqual(expect.arrayContaining([a, b]));
    expect(kept.id).toBe(b);
    expect(h.store.conversation(a)).toBeUndefined();
    expect(h.store.messages(kept.id).map((m) => m.text.trim())).toEqual(['first', 'second', 'third']);
  });

  it("never joins another customer's conversation that quotes a Message-ID", async () => {
    const h = setup();
    const mine = mail({ from: CUSTOMER, messageId: '<c1@x.test>' });
    const other = mail({ from: 'Mallory <mallory@evil.test>', messageId: '<e1@x.test>', references: ['<c1@x.test>'], subject: 'Unrelated' });
    await h.ingestor.ingest(h.position, [fetched(other)], {});
    await h.ingestor.ingest(h.position, [fetched(mine)], {});
    expect(list(h).total).toBe(2);
  });

  it('keeps Sent mail that threads nowhere aside, and shows it once its customer mail arrives', async () => {
    const h = setup();
    const reply = mail({
      from: AGENT,
      to: 'carol@example.com',
      messageId: '<p2@x.test>',
      inReplyTo: '<p1@x.test>',
      references: ['<p1@x.test>'],
      body: 'our answer',
      headers: { 'X-Auxilium-Agent': 'Dana <dana@acme.test>' },
    });
    await h.ingestor.ingest(sent(h), [arrived(reply, 2)], {});
    expect(list(h).total).toBe(0);
    await h.ingestor.ingest(h.position, [arrived(mail({ from: CUSTOMER, messageId: '<p1@x.test>', body: 'question' }), 1)], {});
    const conversation = list(h).items[0]!;
    expect(conversation.messageCount).toBe(2);
    const [question, answer] = h.store.messages(conversation.id);
    expect(question).toMatchObject({ direction: 'inbound', sentBy: null });
    expect(answer).toMatchObject({ direction: 'outbound', sentBy: 'Dana <dana@acme.test>', delivery: null });
    expect(h.db.prepare('SELECT count(*) AS n FROM parked_messages').get()).toEqual({ n: 0 });
    // Seen again (a resync): recognised, not stored twice.
    const again = await h.ingestor.ingest({ ...sent(h), uidValidity: '2' }, [arrived(reply, 2)], {});
    expect(again.duplicates).toBe(1);
  });

  it('recognises the Sent copy of a reply this desktop is still sending, and shows the reply once', async () => {
    const h = setup();
    const conversationId = (await h.ingestor.ingest(h.position, [arrived(mail({ from: CUSTOMER, messageId: '<s1@x.test>' }), 1)], {})).created[0]!;
    const token = h.store.conversation(conversationId)!.token;
    const ours = `aux.${token}.abc123@acme.test`;
    const replyId = h.store.insertMessage(
      {
        conversationId,
        channelId: 'ch1',
        direction: 'outbound',
        kind: 'normal',
        messageId: ours,
        inReplyTo: 's1@x.test',
        references: ['s1@x.test'],
        dedupeKey: null,
        subject: 'Re: Help',
        from: { name: 'Acme', address: SUPPORT },
        to: [{ name: '', address: 'carol@example.com' }],
        cc: [],
        date: '2026-11-24T10:02:00.000Z',
        text: 'On its way',
        html: null,
        parseError: null,
        raw: null,
        rawPath: null,
        size: 10,
        authorAgentId: null,
        createdAt: '2026-11-24T10:02:00.000Z',
        attachments: [],
      },
      { at: '2026-11-24T10:02:00.000Z', unread: false, reopen: false, summary: false },
    );
    h.db
      .prepare(
        `INSERT INTO outbox (message_id, channel_id, conversation_id, state, body_text, attempts, next_attempt_at, last_attempt_at, created_at)
      VALUES (?, 'ch1', ?, 'sending', 'On its way', 1, '2026-11-24T10:02:00.000Z', '2026-11-24T10:02:00.000Z', '2026-11-24T10:02:00.000Z')`,
      )
      .run(replyId, conversationId);
    const copy = mail({
      from: `Acme <${SUPPORT}>`,
      to: 'carol@example.com',
      messageId: `<${ours}>`,
      inReplyTo: '<s1@x.test>',
      body: 'On its way',
      headers: { 'X-Auxilium-Conversation': token },
    });
    const outcome = await h.ingestor.ingest(sent(h), [arrived(copy, 2)], {});
    expect(outcome).toMatchObject({ duplicates: 1, touched: [] });
    expect(
      h.store
        .messages(conversationId)
        .filter((m) => m.direction === 'outbound')
        .map((m) => m.id),
    ).toEqual([replyId]);
  });

  it('records \\Answered at import and when the server reports it later', async () => {
    const h = setup();
    const first = { ...fetched(mail({ messageId: '<a1@x.test>' })), answered: true };
    const second = fetched(mail({ messageId: '<a2@x.test>', from: 'Dave <dave@example.com>' }));
    await h.ingestor.ingest(h.position, [first, second], {});
    const answered = (id: string) => h.store.messages(conversationOf(h, id)!)[0]!.answeredOnServer;
    expect([answered('a1@x.test'), answered('a2@x.test')]).toEqual([true, false]);
    h.changes.length = 0;
    h.ingestor.updateFlags(h.position, [
      { uid: first.uid, answered: true },
      { uid: second.uid, answered: true },
    ]);
    expect(answered('a2@x.test')).toBe(true);
    // Only the conversation that changed is announced.
    expect(h.changes).toEqual([{ ids: [conversationOf(h, 'a2@x.test')], created: [] }]);
  });
});
