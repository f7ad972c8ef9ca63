import { simpleParser } from 'mailparser';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { describe, expect, it, onTestFinished } from 'vitest';
import { MAX_REPLY_ATTACHMENT_BYTES } from '../../../shared/attachments';
import { AppFailure } from '../../../shared/errors';
import { EventBus } from '../events/event-bus';
import { channelRecord, mail, SUPPORT } from '../../../test/support/mail-harness';
import { AgentRepo } from '../store/agent-repo';
import { join } from 'node:path';
import { tempDir } from '../../../test/support/temp';
import { openDatabase } from '../store/database';
import { MIGRATIONS } from '../store/migrations';
import { MailStore } from '../store/mail-store';
import { FOLLOW_UP_LIMIT, OutboxRepo } from '../store/outbox-repo';
import { SavedReplyRepo } from '../store/saved-reply-repo';
import { TeamRepo } from '../team/team-repo';
import { TeamService } from '../team/team-service';
import { OutboxService } from './outbox';
import { buildMime, isTemporary } from './delivery';
import { MailParserPool } from '../ingest/parse';

const NOW = new Date('2026-11-26T10:00:00.000Z');

function setup(inbox: Parameters<typeof channelRecord>[1] = {}) {
  const db = openDatabase(':memory:');
  const store = new MailStore(db);
  const repo = new OutboxRepo(db, store);
  const agents = new AgentRepo(db);
  const events = new EventBus();
  const changed: number[][] = [];
  events.on('conversations:changed', (p) => changed.push(p.ids));
  let kicks = 0;
  const channel = channelRecord('ch1', { signature: 'Acme Support', ...inbox });
  const files = tempDir('auxilium-outbox-unit-');
  onTestFinished(files.remove);
  const attachmentsDir = files.path;
  let clock = NOW.getTime();
  const teamRepo = new TeamRepo(db);
  const channels = { list: () => [channel], get: (id: string) => (id === 'ch1' ? channel : undefined) };
  const team = new TeamService({ repo: teamRepo, store, agents, savedReplies: new SavedReplyRepo(db), channels, events, desktopId: 'desktop-1' });
  const service = new OutboxService({
    store,
    repo,
    agents,
    channel: (id) => (id === 'ch1' ? channel : undefined),
    events,
    attachmentsDir,
    kick: () => kicks++,
    team,
    now: () => new Date(clock),
  });
  const conversationId = store.createConversation({
    channelId: 'ch1',
    subject: 'Where is my order?',
    customer: { name: 'Carol', address: 'carol@example.com' },
    assigneeId: null,
    token: 'ABCD2345',
    at: '2026-11-26T09:00:00.000Z',
  });
  const raw = mail({
    from: 'Carol <carol@example.com>',
    replyTo: 'Orders <orders@example.com>',
    cc: 'Dan <dan@example.com>, Support@ACME.test',
    messageId: '<c1@example.com>',
    references: ['<c0@example.com>'],
  });
  store.insertMessage(
    {
      conversationId,
      channelId: 'ch1',
      direction: 'inbound',
      kind: 'normal',
      source: { mailbox: 'INBOX', uidValidity: '7', uid: 3 },
      messageId: 'c1@example.com',
      inReplyTo: null,
      references: ['c0@example.com'],
      dedupeKey: 'k1',
      subject: 'Where is my order?',
      from: { name: 'Carol', address: 'carol@example.com' },
      to: [{ name: '', address: SUPPORT }],
      cc: [
        { name: 'Dan', address: 'dan@example.com' },
        { name: '', address: 'Support@ACME.test' },
      ],
      date: '2026-11-26T09:00:00.000Z',
      text: 'Where is it?',
      html: null,
      parseError: null,
      raw,
      rawPath: null,
      size: raw.length,
      authorAgentId: null,
      createdAt: '2026-11-26T09:00:00.000Z',
      attachments: [],
    },
    { at: '2026-11-26T09:00:00.000Z', unread: true, reopen: false, summary: true },
  );
  /** The customer writes again (as the ingestor stores it). */
  const customerWrites = (n: number, at: string) =>
    store.insertMessage(
      {
        conversationId,
        channelId: 'ch1',
        direction: 'inbound',
        kind: 'normal',
        source: { mailbox: 'INBOX', uidValidity: '7', uid: 3 + n },
        messageId: `c${n + 1}@example.com`,
        inReplyTo: null,
        references: [],
        dedupeKey: `k${n + 1}`,
        subject: 'Where is my order?',
        from: { name: 'Carol', address: 'carol@example.com' },
        to: [{ name: '', address: SUPPORT }],
        cc: [],
        date: at,
        text: `Customer mail ${n}`,
        html: null,
        parseError: null,
        raw: null,
        rawPath: null,
        size: 1,
        authorAgentId: null,
        createdAt: at,
        attachments: [],
      },
      { at, unread: true, reopen: true, summary: true },
    );
  const advance = (ms: number) => void (clock += ms);
  return { db, store, repo, teamRepo, service, conversationId, changed, kicks: () => kicks, attachmentsDir, customerWrites, advance };
}

describe('OutboxService', () => {
  it('stores the reply and its outbox row at once, with a fixed Message-ID, and clears the draft', async () => {
    const { store, repo, service, conversationId, changed, kicks } = setup();
    service.saveDraft(conversationId, 'half written');
    const message = await service.sendReply({ id: conversationId, mode: 'reply-all', text: 'It ships today.', undoSeconds: 5 });
    expect(message).toMatchObject({
      direction: 'outbound',
      kind: 'normal',
      subject: 'Re: Where is my order? [#ABCD2345]',
      text: 'It ships today.\n\n-- \nAcme Support',
      from: { address: SUPPORT },
      to: [{ name: 'Orders', address: 'orders@example.com' }],
      cc: [{ name: 'Dan', address: 'dan@example.com' }],
      delivery: { state: 'queued', error: null, attempts: 0, nextAttemptAt: '2026-11-26T10:00:05.000Z' },
    });
    const out = repo.outgoing(message.id)!;
    expect(out.headerMessageId).toMatch(/^aux\.ABCD2345\.[a-z0-9]+@acme\.test$/);
    expect(out.inReplyTo).toBe('c1@example.com');
    expect(out.references).toEqual(['c0@example.com', 'c1@example.com']);
    expect(service.draft(conversationId)).toEqual({ text: '', attachments: [] });
    expect(changed).toContainEqual([conversationId]);
    expect(kicks()).toBe(1);
    // The inbox summary moves only once the reply has gone out.
    expect(store.conversation(conversationId)!.messageCount).toBe(2);
    expect(store.messages(conversationId).map((m) => m.delivery?.state ?? null)).toEqual([null, 'queued']);
  });

  it('replying assigns an unassigned conversation to the replier and sets it pending, by the channel settings', async () => {
    const env = setup();
    const agents = new AgentRepo(env.db);
    const me = agents.insert({ name: 'Ada', email: 'ada@acme.test' });
    agents.setMeAgentId(me.id);
    await env.service.sendReply({ id: env.conversationId, mode: 'reply', text: 'On its way.', undoSeconds: 5 });
    expect(env.store.conversation(env.conversationId)).toMatchObject({ assigneeId: me.id, status: 'pending' });
    // The rest of the team's desktops are told, through the team folder (the outbox of team events).
    const told = env.teamRepo.pendingFor('ch1', env.teamRepo.refOf(env.conversationId)!);
    expect(told.map((e) => ('assignee' in e ? [e.type, e.assignee] : 'status' in e ? [e.type, e.status] : [e.type]))).toEqual([
      ['assignee.changed', 'ada@acme.test'],
      ['status.changed', 'pending'],
    ]);

    // Settings off: the conversation stays as it was.
    const off = setup({ assignOnReply: false, pendingOnReply: false });
    const offAgents = new AgentRepo(off.db);
    offAgents.setMeAgentId(offAgents.insert({ name: 'Ada', email: 'ada@acme.test' }).id);
    await off.service.sendReply({ id: off.conversationId, mode: 'reply', text: 'On its way.', undoSeconds: 5 });
    expect(off.store.conversation(off.conversationId)).toMatchObject({ assigneeId: null, status: 'open' });
  });

  it('undo gives the text back (without the signature) and removes the reply; not once it is sending', async () => {
    const { store, repo, service, conversationId } = setup();
    const first = await service.sendReply({ id: conversationId, mode: 'reply', text: 'Oops', undoSeconds: 5 });
    expect(service.cancel(first.id)).toEqual({ text: 'Oops', attachments: [] });
    expect(store.message(first.id)).toBeUndefined();
    expect(store.conversation(conversationId)!.messageCount).toBe(1);
    expect(store.list({ view: 'all', meAgentId: null, query: 'Oops', limit: 10 }).total).toBe(0);

    const second = await service.sendReply({ id: conversationId, mode: 'reply', text: 'Real answer', undoSeconds: 0 });
    expect(repo.markSending(second.id, NOW.toISOString())).toBe(true);
    expect(() => service.cancel(second.id)).toThrow(AppFailure);
    expect(() => service.cancel(second.id)).toThrow(/being sent/);
    repo.markSent(second.id, NOW.toISOString(), { filed: false });
    expect(() => service.cancel(second.id)).toThrow(/already been sent/);
    expect(store.message(second.id)!.delivery).toMatchObject({ state: 'sent', attempts: 1, nextAttemptAt: null });
  });

  it('counts messages right when a reply is undone after the customer wrote again during the undo window', async () => {
    const { store, service, conversationId, customerWrites } = setup();
    const reply = await service.sendReply({ id: conversationId, mode: 'reply', text: 'Soon', undoSeconds: 5 });
    customerWrites(1, '2026-11-26T10:00:02.000Z');
    expect(store.conversation(conversationId)!.messageCount).toBe(3);
    service.cancel(reply.id);
    expect(store.messages(conversationId)).toHaveLength(2);
    expect(store.conversation(conversationId)!.messageCount).toBe(2);
    expect(store.list({ view: 'all', meAgentId: null, limit: 10 }).items[0]!.messageCount).toBe(2);
    // Later mail still finds a free search slot and is counted once.
    customerWrites(2, '2026-11-26T10:01:00.000Z');
    await service.sendReply({ id: conversationId, mode: 'reply', text: 'Here it is', undoSeconds: 0 });
    expect(store.conversation(conversationId)!.messageCount).toBe(4);
    expect(store.list({ view: 'all', meAgentId: null, query: 'Here it is', limit: 10 }).total).toBe(1);
  });

  it('attaching stores each file with the draft at once; the reply takes them (rows move, files stay); undo gives them back to the draft', async () => {
    const { db, store, repo, service, conversationId, attachmentsDir, advance } = setup();
    const pdf = Buffer.from('%PDF-1.4 invoice');
    const invoice = await service.addDraftAttachment({
      conversationId,
      filename: 'invoice.pdf',
      contentType: 'application/pdf',
      content: pdf.toString('base64'),
    });
    const notes = await service.addDraftAttachment({
      conversationId,
      filename: '../../notes.txt',
      contentType: '',
      content: Buffer.from('hello').toString('base64'),
    });
    expect(service.draft(conversationId)).toEqual({
      text: '',
      attachments: [
        { id: invoice.id, filename: 'invoice.pdf', contentType: 'application/pdf', size: pdf.length },
        { id: notes.id, filename: 'notes.txt', contentType: 'application/octet-stream', size: 5 },
      ],
    });
    const outbound = join(attachmentsDir, 'outbound');
    const onDisk = readdirSync(outbound).sort();
    expect(onDisk).toHaveLength(2);

    const reply = await service.sendReply({ id: conversationId, mode: 'reply', text: 'See attached', undoSeconds: 5 });
    expect(reply.attachments).toMatchObject([
      { filename: 'invoice.pdf', contentType: 'application/pdf', size: pdf.length, inline: false },
      { filename: 'notes.txt', contentType: 'application/octet-stream', size: 5, inline: false },
    ]);
    expect(service.draft(conversationId)).toEqual({ text: '', attachments: [] });
    const files = repo.outgoing(reply.id)!.attachments;
    expect(files.every((f) => f.path.startsWith(outbound) && existsSync(f.path))).toBe(true);
    expect(readdirSync(outbound).sort()).toEqual(onDisk);
    expect(
      store
        .messages(conversationId)
        .at(-1)!
        .attachments.map((a) => a.filename),
    ).toEqual(['invoice.pdf', 'notes.txt']);

    // A file attached during the undo window comes after the ones the reply gives back.
    advance(2_000);
    const later = await service.addDraftAttachment({
      conversationId,
      filename: 'later.txt',
      contentType: 'text/plain',
      content: Buffer.from('later').toString('base64'),
    });
    const back = service.cancel(reply.id);
    expect(back).toEqual({
      text: 'See attached',
      attachments: [
        { id: expect.any(Number), filename: 'invoice.pdf', contentType: 'application/pdf', size: pdf.length },
        { id: expect.any(Number), filename: 'notes.txt', contentType: 'application/octet-stream', size: 5 },
      ],
    });
    expect(service.draft(conversationId).attachments).toEqual([...back.attachments, later]);
    expect(db.prepare('SELECT count(*) AS n FROM attachments').get()).toEqual({ n: 0 });
    expect(readdirSync(outbound)).toHaveLength(3);

    // Removing takes the file off the draft and deletes it; removing it again changes nothing.
    await service.removeDraftAttachment(later.id);
    await service.removeDraftAttachment(later.id);
    expect(service.draft(conversationId).attachments.map((a) => a.filename)).toEqual(['invoice.pdf', 'notes.txt']);
    expect(readdirSync(outbound).sort()).toEqual(onDisk);
  });

  it('refuses a file that would take the draft over the total limit, naming it and the limit, and keeps nothing of it', async () => {
    const { service, conversationId, attachmentsDir } = setup();
    const half = Buffer.alloc(MAX_REPLY_ATTACHMENT_BYTES / 2 + 1).toString('base64');
    await service.addDraftAttachment({ conversationId, filename: 'first.bin', contentType: '', content: half });
    const attempt = service.addDraftAttachment({ conversationId, filename: 'second.bin', contentType: '', content: half });
    await expect(attempt).rejects.toThrow(AppFailure);
    await expect(attempt).rejects.toThrow(/^“second\.bin” would bring the attachments to 25\.1 MB; a reply can carry at most 25 MB in total\.$/);
    expect(service.draft(conversationId).attachments.map((a) => a.filename)).toEqual(['first.bin']);
    expect(readdirSync(join(attachmentsDir, 'outbound'))).toHaveLength(1);
    await expect(service.addDraftAttachment({ conversationId: 999, filename: 'x.txt', contentType: '', content: '' })).rejects.toThrow(/no longer exists/);
  });

  it('refuses to send when files an Undo gave back take the draft over the limit, and keeps the draft', async () => {
    const { store, service, conversationId, advance } = setup();
    const half = Buffer.alloc(MAX_REPLY_ATTACHMENT_BYTES / 2 + 1).toString('base64');
    await service.addDraftAttachment({ conversationId, filename: 'first.bin', contentType: '', content: half });
    const reply = await service.sendReply({ id: conversationId, mode: 'reply', text: 'First', undoSeconds: 5 });
    advance(1_000);
    await service.addDraftAttachment({ conversationId, filename: 'second.bin', contentType: '', content: half });
    service.cancel(reply.id);
    await expect(service.sendReply({ id: conversationId, mode: 'reply', text: 'Both', undoSeconds: 5 })).rejects.toThrow(
      /^“second\.bin” would bring the attachments to 25\.1 MB/,
    );
    expect(store.messages(conversationId)).toHaveLength(1);
    expect(service.draft(conversationId).attachments.map((a) => a.filename)).toEqual(['first.bin', 'second.bin']);
  });

  it('retry puts a failed reply back in the queue; cancel takes a failed reply back for editing', async () => {
    const { repo, service, conversationId } = setup();
    const m = await service.sendReply({ id: conversationId, mode: 'reply', text: 'Hello', undoSeconds: 0 });
    repo.markSending(m.id, NOW.toISOString());
    const error = { code: 'RELAY_DENIED' as const, message: 'Relay access denied', cause: 'c', fix: 'f', retryable: false };
    repo.markFailed(m.id, error);
    expect(repo.heads()).toEqual([]);
    const retried = service.retry(m.id);
    expect(retried.delivery).toMatchObject({ state: 'queued', error, nextAttemptAt: NOW.toISOString() });
    expect(repo.heads().map((h) => h.messageId)).toEqual([m.id]);
    repo.markSending(m.id, NOW.toISOString());
    repo.markFailed(m.id, error);
    expect(service.cancel(m.id)).toEqual({ text: 'Hello', attachments: [] });
  });

  it('shows a reply that waited in the outbox where it left, after mail that came in meanwhile', async () => {
    const { store, repo, service, conversationId, customerWrites } = setup();
    const reply = await service.sendReply({ id: conversationId, mode: 'reply', text: 'On its way', undoSeconds: 0 });
    customerWrites(1, '2026-11-26T10:20:00.000Z');
    repo.markSending(reply.id, '2026-11-26T10:30:00.000Z');
    repo.markSent(reply.id, '2026-11-26T10:30:01.000Z', { filed: true });
    expect(store.messages(conversationId).map((m) => m.direction)).toEqual(['inbound', 'inbound', 'outbound']);
  });

  it('schedules what is left of a sent reply together with marking it sent, so a crash cannot lose it', async () => {
    const { repo, service, conversationId } = setup();
    const reply = await service.sendReply({ id: conversationId, mode: 'reply', text: 'Filed later', undoSeconds: 0 });
    repo.markSending(reply.id, NOW.toISOString());
    repo.markSent(reply.id, NOW.toISOString(), { filed: false, followUpAt: '2026-11-26T10:01:00.000Z', failures: { filing: 1, answer: 0, deferred: 0 } });
    expect(repo.followUps().map((r) => [r.messageId, r.followUpAt, r.followUpFailures])).toEqual([
      [reply.id, '2026-11-26T10:01:00.000Z', { filing: 1, answer: 0, deferred: 0 }],
    ]);
  });

  it('shows a Sent copy as no longer tried once its own count reached the limit, while \\Answered is still tried', async () => {
    const { store, repo, service, conversationId } = setup();
    const reply = await service.sendReply({ id: conversationId, mode: 'reply', text: 'Filed never', undoSeconds: 0 });
    repo.markSending(reply.id, NOW.toISOString());
    repo.markSent(reply.id, NOW.toISOString(), { filed: false, followUpAt: '2026-11-26T10:01:00.000Z', failures: { filing: 1, answer: 1, deferred: 0 } });
    const error = { code: 'SENT_FOLDER_NOT_FOUND' as const, message: 'No folder Sent', cause: 'c', fix: 'f', retryable: true };
    repo.setFilingProblem(reply.id, { folder: 'Sent', error });
    expect(store.message(reply.id)!.delivery!.filing).toEqual({ folder: 'Sent', error, retrying: true });
    repo.scheduleFollowUp(reply.id, '2026-11-26T10:05:00.000Z', { filing: FOLLOW_UP_LIMIT, answer: 3, deferred: 0 });
    expect(store.message(reply.id)!.delivery!.filing).toEqual({ folder: 'Sent', error, retrying: false });
    expect(repo.followUps().map((r) => r.followUpFailures)).toEqual([{ filing: FOLLOW_UP_LIMIT, answer: 3, deferred: 0 }]);
  });

  it('keeps replies of one conversation in order, while another conversation has its own head', async () => {
    const { store, repo, service, conversationId } = setup();
    const other = store.createConversation({
      channelId: 'ch1',
      subject: 'Invoice',
      customer: { name: 'Ed', address: 'ed@example.com' },
      assigneeId: null,
      token: 'EFGH2345',
      at: '2026-11-26T09:30:00.000Z',
    });
    const a = await service.sendReply({ id: conversationId, mode: 'reply', text: 'one', undoSeconds: 0 });
    await service.sendReply({ id: conversationId, mode: 'reply', text: 'two', undoSeconds: 0 });
    const b = await service.sendReply({ id: other, mode: 'reply', text: 'three', undoSeconds: 0 });
    expect(repo.heads().map((h) => h.messageId)).toEqual([a.id, b.id]);
  });

  it('a reconnect wakes replies that wait out a backoff after a failure, and nothing else', async () => {
    const { repo, service, conversationId } = setup();
    const failedOnce = await service.sendReply({ id: conversationId, mode: 'reply', text: 'one', undoSeconds: 0 });
    const undoWindow = await service.sendReply({ id: conversationId, mode: 'reply', text: 'two', undoSeconds: 30 });
    repo.markSending(failedOnce.id, NOW.toISOString());
    const error = { code: 'CONNECTION_REFUSED' as const, message: 'Connection refused on port 465', cause: 'c', fix: 'f', retryable: true };
    repo.markQueued(failedOnce.id, '2026-11-26T10:05:00.000Z', error);
    expect(repo.wakeWaiting('ch1', NOW.toISOString())).toBe(1);
    expect(repo.get(failedOnce.id)).toMatchObject({ state: 'queued', nextAttemptAt: NOW.toISOString(), error });
    expect(repo.get(undoWindow.id)!.nextAttemptAt).toBe('2026-11-26T10:00:30.000Z');
    expect(repo.wakeWaiting('other', NOW.toISOString())).toBe(0);
  });

  it('saves, reads and deletes drafts', () => {
    const { service, conversationId } = setup();
    expect(service.draft(conversationId)).toEqual({ text: '', attachments: [] });
    service.saveDraft(conversationId, 'Dear Carol');
    expect(service.draft(conversationId)).toEqual({ text: 'Dear Carol', attachments: [] });
    service.saveDraft(conversationId, '');
    expect(service.draft(conversationId)).toEqual({ text: '', attachments: [] });
    expect(() => service.saveDraft(9999, 'x')).toThrow(/no longer exists/);
  });
});

describe('buildMime', () => {
  it('builds a plain human reply: threading headers, our token and agent headers, no Auto-Submitted', async () => {
    const raw = await buildMime(
      {
        messageId: 1,
        channelId: 'ch1',
        conversationId: 1,
        token: 'ABCD2345',
        headerMessageId: 'aux.ABCD2345.x1@acme.test',
        inReplyTo: 'c1@example.com',
        references: ['c0@example.com', 'c1@example.com'],
        subject: 'Re: Order [#ABCD2345]',
        from: { name: 'Acme Support', address: SUPPORT },
        to: [{ name: 'Carol', address: 'carol@example.com' }],
        cc: [],
        bcc: [{ name: 'Lead', address: 'lead@acme.test' }],
        text: 'Grüße\n\n-- \nAcme',
        attachments: [],
        agent: { name: 'Zoë Ångström\r\nBcc: evil@example.com', email: 'zoe@acme.test' },
      },
      NOW,
    );
    const parsed = await simpleParser(raw);
    expect(parsed.messageId).toBe('<aux.ABCD2345.x1@acme.test>');
    expect(parsed.inReplyTo).toBe('<c1@example.com>');
    expect(parsed.references).toEqual(['<c0@example.com>', '<c1@example.com>']);
    expect(parsed.from?.value[0]).toMatchObject({ name: 'Acme Support', address: SUPPORT });
    expect(parsed.subject).toBe('Re: Order [#ABCD2345]');
    expect(parsed.text).toContain('Grüße');
    expect(parsed.headers.get('x-auxilium-conversation')).toBe('ABCD2345');
    // Encoded as one safe line: a line break in a name never becomes a header of its own, and
    // ingest's parser reads the name back as written.
    expect(parsed.headers.has('bcc')).toBe(false);
    // The Bcc is delivered to (the envelope), never written into the message.
    expect(raw.toString('latin1')).not.toContain('lead@acme.test');
    expect(raw.toString('latin1')).toMatch(/^X-Auxilium-Agent: =\?UTF-8\?/m);
    const dir = tempDir('auxilium-mime-');
    onTestFinished(dir.remove);
    const pool = new MailParserPool({ attachmentsDir: dir.path, workers: 1 });
    onTestFinished(() => pool.close());
    const ours = await pool.parse(raw);
    expect(ours.ok && ours.message.headers['x-auxilium-agent']).toBe('Zoë Ångström Bcc: evil@example.com <zoe@acme.test>');
    expect(parsed.headers.has('auto-submitted')).toBe(false);
    expect(parsed.html).toBe(false);
  });

  it('adds an HTML alternative for simple formatting and streams attached files from disk', async () => {
    const dir = tempDir('auxilium-mime-');
    onTestFinished(dir.remove);
    const path = join(dir.path, 'a.bin');
    writeFileSync(path, Buffer.from([0, 1, 2, 255]));
    const raw = await buildMime(
      {
        messageId: 1,
        channelId: 'ch1',
        conversationId: 1,
        token: 'ABCD2345',
        headerMessageId: 'aux.ABCD2345.x2@acme.test',
        inReplyTo: null,
        references: [],
        subject: 'Re: Order [#ABCD2345]',
        from: { name: 'Acme Support', address: SUPPORT },
        to: [{ name: 'Carol', address: 'carol@example.com' }],
        cc: [],
        bcc: [],
        text: 'It is **here**:\n- a\n- b',
        attachments: [{ filename: 'data file.bin', contentType: 'application/octet-stream', path }],
        agent: null,
      },
      NOW,
    );
    const parsed = await simpleParser(raw);
    expect(parsed.text?.trim()).toBe('It is **here**:\n- a\n- b');
    expect(parsed.html).toContain('It is <strong>here</strong>:<br>\n<ul><li>a</li><li>b</li></ul>');
    expect(parsed.attachments.map((a) => [a.filename, [...a.content]])).toEqual([['data file.bin', [0, 1, 2, 255]]]);
  });
});

describe('isTemporary', () => {
  const mapped = (retryable: boolean) => ({ code: 'SERVER_ERROR' as const, message: '', cause: '', fix: '', retryable });
  it('retries 4xx, stops at 5xx, and follows the mapping without a reply code', () => {
    expect(isTemporary({ responseCode: 451 }, mapped(false))).toBe(true);
    expect(isTemporary({ responseCode: 554 }, mapped(true))).toBe(false);
    expect(isTemporary({ code: 'ECONNECTION' }, mapped(true))).toBe(true);
    expect(isTemporary({ code: 'ETLS' }, mapped(false))).toBe(false);
  });
});

describe('migration 4', () => {
  it('adds the outbox and drafts to a version-3 database and keeps its mail; old messages have no delivery', () => {
    const dir = tempDir('auxilium-mig4-');
    try {
      const file = join(dir.path, 'auxilium.sqlite');
      const old = openDatabase(file, { migrations: MIGRATIONS.filter((m) => m.version <= 3) });
      // As a version-3 app wrote them (today's store knows columns version 3 does not have).
      const id = Number(
        old
          .prepare(
            `INSERT INTO conversations (channel_id, subject, customer_name, customer_address, status, assignee_id, token, last_message_at, snippet, unread, message_count, created_at)
             VALUES ('ch1', 'Old', '', 'a@b.example', 'open', NULL, 'OLDT2345', ?, '', 0, 0, ?)`,
          )
          .run(NOW.toISOString(), NOW.toISOString()).lastInsertRowid,
      );
      old
        .prepare(
          `INSERT INTO messages (conversation_id, channel_id, direction, kind, message_id, subject, from_name, from_address, date, text, size, fts_rowid, created_at)
           VALUES (?, 'ch1', 'inbound', 'normal', 'old@b.example', 'Old', '', 'a@b.example', ?, 'old mail', 8, ?, ?)`,
        )
        .run(id, NOW.toISOString(), id * 2 ** 20, NOW.toISOString());
      old.close();
      const db = openDatabase(file);
      expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.at(-1)!.version);
      expect(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name IN ('outbox', 'drafts')").get()).toEqual({ n: 2 });
      const messages = new MailStore(db).messages(id);
      expect(messages).toHaveLength(1);
      expect(messages[0]).toMatchObject({ text: 'old mail', delivery: null });
      db.close();
    } finally {
      dir.remove();
    }
  });
});
