import { afterEach, describe, expect, it } from 'vitest';
import { AppFailure } from '../../../shared/errors';
import { tempDir } from '../../../test/support/temp';
import { fetched, mail, openHarness, type Harness } from '../../../test/support/mail-harness';
import { fillMissingReplyTo } from '../ingest/reply-to';
import { newConversationToken } from '../ingest/threading';
import type { NewMessage } from '../store/mail-store';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function setup(): Harness {
  const dir = tempDir('auxilium-conv-');
  const harness = openHarness(dir.path);
  cleanups.push(dir.remove, () => harness.close());
  return harness;
}

/** Writes a conversation with one inbound message straight to the store (no parsing), for volume. */
function seed(h: Harness, n: number, at: string, overrides: Partial<NewMessage> = {}): number {
  const from = overrides.from ?? { name: `Customer ${n}`, address: `c${n}@example.com` };
  const id = h.store.createConversation({
    channelId: 'ch1',
    subject: overrides.subject ?? `Question ${n}`,
    customer: from,
    assigneeId: null,
    token: newConversationToken(),
    at,
  });
  h.store.insertMessage(
    {
      conversationId: id,
      channelId: 'ch1',
      direction: 'inbound',
      kind: 'normal',
      messageId: `m${n}@example.com`,
      inReplyTo: null,
      references: [],
      dedupeKey: null,
      subject: `Question ${n}`,
      from,
      to: [{ name: 'Support', address: 'support@acme.test' }],
      cc: [],
      date: at,
      text: `Body number ${n}`,
      html: null,
      parseError: null,
      raw: null,
      rawPath: null,
      size: 0,
      authorAgentId: null,
      createdAt: at,
      attachments: [],
      ...overrides,
    },
    { at, unread: true, reopen: false, summary: true },
  );
  return id;
}

async function failure(fn: () => unknown): Promise<AppFailure> {
  try {
    await fn();
  } catch (error) {
    if (error instanceof AppFailure) return error;
    throw error;
  }
  throw new Error('expected an AppFailure');
}

describe('ConversationService', () => {
  it('pages 1,000 conversations by keyset without duplicates or gaps, newest first', () => {
    const h = setup();
    const ids = h.store.transaction(() =>
      // Many share a timestamp, so the id tie-break is exercised across page boundaries.
      Array.from({ length: 1000 }, (_, n) => seed(h, n, new Date(Date.UTC(2026, 0, 1, 0, Math.floor(n / 7))).toISOString())),
    );
    const seen: number[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = h.conversations.list({ view: 'all', limit: 64, cursor });
      expect(page.total).toBe(1000);
      seen.push(...page.items.map((item) => item.id));
      cursor = page.nextCursor ?? undefined;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(16);
    expect(new Set(seen).size).toBe(1000);
    const expected = h.db.prepare('SELECT id FROM conversations ORDER BY last_message_at DESC, id DESC').pluck().all();
    expect(seen).toEqual(expected);
    expect(seen).toHaveLength(ids.length);
  });

  it('filters by view, status and channel, and counts open conversations per view', () => {
    const h = setup();
    const me = h.agents.insert({ name: 'Me Agent', email: 'me@acme.test' });
    h.conversations.setMe(me.id);
    const [a, b, c] = [1, 2, 3].map((n) => seed(h, n, `2026-01-0${n}T00:00:00.000Z`));
    h.conversations.assign(a!, me.id);
    h.conversations.setStatus(c!, 'closed');
    const ids = (input: Parameters<Harness['conversations']['list']>[0]) => h.conversations.list(input).items.map((i) => i.id);
    expect(ids({ view: 'mine', limit: 10 })).toEqual([a]);
    expect(ids({ view: 'unassigned', limit: 10 })).toEqual([c, b]);
    expect(ids({ view: 'all', status: 'open', limit: 10 })).toEqual([b, a]);
    expect(ids({ view: 'all', channelId: 'other', limit: 10 })).toEqual([]);
    expect(h.conversations.count()).toEqual({ mine: 1, unassigned: 1, all: 2, unread: { mine: 1, unassigned: 1, all: 2 }, failed: 0, spam: 0, deleted: 0 });
    h.conversations.setMe(null);
    expect(ids({ view: 'mine', limit: 10 })).toEqual([]);
  });

  it('lists open and pending together by default, and counts unread open and pending per view', () => {
    const h = setup();
    const me = h.agents.insert({ name: 'Me Agent', email: 'me@acme.test' });
    h.conversations.setMe(me.id);
    const [open, pending, closed] = [1, 2, 3].map((n) => seed(h, n, `2026-01-0${n}T00:00:00.000Z`));
    h.conversations.setStatus(pending!, 'pending');
    h.conversations.setStatus(closed!, 'closed');
    h.conversations.assign(pending!, me.id);
    const ids = (input: Parameters<Harness['conversations']['list']>[0]) => h.conversations.list(input).items.map((i) => i.id);
    expect(ids({ view: 'all', status: 'active', limit: 10 })).toEqual([pending, open]);
    expect(ids({ view: 'all', status: 'closed', limit: 10 })).toEqual([closed]);
    // Closed unread mail is not work to do: it is not counted.
    expect(h.conversations.count()).toMatchObject({ all: 1, unread: { mine: 1, unassigned: 1, all: 2 } });
  });

  it('changes many conversations in one bulk action, skipping deleted ones, and announces them once', () => {
    const h = setup();
    const grace = h.agents.insert({ name: 'Grace', email: 'grace@acme.test' });
    const [a, b, c] = [1, 2, 3].map((n) => seed(h, n, `2026-01-0${n}T00:00:00.000Z`));
    h.changes.length = 0;
    expect(h.conversations.updateMany([a!, b!, 999], { status: 'closed', assigneeId: grace.id, unread: false })).toEqual({ ids: [a, b] });
    expect(h.changes).toEqual([{ ids: [a, b], created: [] }]);
    for (const id of [a!, b!]) expect(h.conversations.summary(id)).toMatchObject({ status: 'closed', assigneeId: grace.id, unread: false });
    expect(h.conversations.summary(c!)).toMatchObject({ status: 'open', assigneeId: null, unread: true });
    h.conversations.updateMany([a!], { unread: true });
    expect(h.conversations.summary(a!)).toMatchObject({ status: 'closed', unread: true });
    expect(() => h.conversations.updateMany([c!], { assigneeId: 12345 })).toThrow(/agent no longer exists/);
  });

  it('adds, changes and deletes saved replies, in name order, announcing each change', async () => {
    const h = setup();
    const changes: unknown[] = [];
    h.events.on('saved-replies:changed', (p) => changes.push(p));
    const refund = h.conversations.saveSavedReply({ name: 'Refund', body: 'Your refund is on its way.' });
    const apology = h.conversations.saveSavedReply({ name: 'apology', body: 'Sorry for the wait.' });
    expect(h.conversations.savedRepliesList().map((r) => r.name)).toEqual(['apology', 'Refund']);
    h.conversations.saveSavedReply({ id: refund.id, name: 'Refund sent', body: 'Refunded today.' });
    expect(h.conversations.savedRepliesList().find((r) => r.id === refund.id)).toMatchObject({ name: 'Refund sent', body: 'Refunded today.' });
    h.conversations.deleteSavedReply(apology.id);
    expect(h.conversations.savedRepliesList().map((r) => r.id)).toEqual([refund.id]);
    expect(changes).toHaveLength(4);
    expect((await failure(() => h.conversations.deleteSavedReply(apology.id))).error.code).toBe('NOT_FOUND');
    expect((await failure(() => h.conversations.saveSavedReply({ id: apology.id, name: 'x', body: 'y' }))).error.code).toBe('NOT_FOUND');
  });

  it('reading a conversation changes nothing; marking it read does, once, and says so', () => {
    const h = setup();
    const id = seed(h, 1, '2026-01-01T00:00:00.000Z');
    expect(h.conversations.get(id).conversation.unread).toBe(true);
    expect(h.changes).toEqual([]);
    h.conversations.markRead(id);
    expect(h.conversations.get(id).conversation.unread).toBe(false);
    expect(h.changes).toEqual([{ ids: [id], created: [] }]);
    h.conversations.markRead(id);
    expect(h.changes).toHaveLength(1);
    expect(() => h.conversations.markRead(999)).toThrow(/no longer exists/);
  });

  it('searches subject, participants and bodies by prefix, and survives FTS syntax in the input', () => {
    const h = setup();
    const refund = seed(h, 1, '2026-01-01T00:00:00.000Z', { subject: 'Refund request', text: 'Please send the invoice again' });
    const bob = seed(h, 2, '2026-01-02T00:00:00.000Z', { from: { name: 'Bob Müller', address: 'bob@shop.example' } });
    const search = (query: string) => h.conversations.list({ view: 'all', query, limit: 10 }).items.map((i) => i.id);
    expect(search('refu')).toEqual([refund]);
    expect(search('invoi agai')).toEqual([refund]);
    expect(search('muller')).toEqual([bob]);
    expect(search('bob@shop')).toEqual([bob]);
    expect(h.conversations.list({ view: 'all', query: 'refund', limit: 10 }).total).toBe(1);
    for (const odd of ['"', 'a"b', 'NEAR(', 'OR', 'subject:x', '*', '-', '(', ')', "'; DROP TABLE x", '^', 'AND NOT', '{x}']) {
      expect(() => search(odd)).not.toThrow();
    }
    // Nothing searchable typed: nothing found (only blank text lists everything).
    expect(search(' * ')).toEqual([]);
    expect(search('?!…')).toEqual([]);
    expect(search('😀')).toEqual([]);
    expect(search('   ')).toEqual([bob, refund]);
    // A pasted NUL is a word break, not an SQLite error.
    expect(search('refu\u0000')).toEqual([refund]);
    expect(search('\u0000')).toEqual([]);
  });

  it('marks a conversation read when opened and tells listeners once', async () => {
    const h = setup();
    await h.ingestor.ingest(h.position, [fetched(mail({ messageId: '<a@example.com>' }))], {});
    const id = h.conversations.list({ view: 'all', limit: 1 }).items[0]!.id;
    h.changes.length = 0;
    h.conversations.markRead(id);
    const detail = h.conversations.get(id);
    expect(detail.conversation.unread).toBe(false);
    expect(detail.messages).toHaveLength(1);
    h.conversations.markRead(id);
    expect(h.changes).toEqual([{ ids: [id], created: [] }]);
  });

  it('reads the Reply-To of mail imported before it was stored, once, from the stored headers, with nothing opened', async () => {
    const h = setup();
    await h.ingestor.ingest(h.position, [fetched(mail({ messageId: '<rt@example.com>', replyTo: 'Carol Home <carol@home.test>' }))], {});
    const id = h.conversations.list({ view: 'all', limit: 1 }).items[0]!.id;
    // What a message imported by a version without the column looks like.
    h.db.prepare('UPDATE messages SET reply_to_json = NULL WHERE conversation_id = ?').run(id);
    expect(h.store.replyToUnread(id)).toHaveLength(1);
    // Opening it reads only: what is not stored is not shown.
    expect(h.conversations.get(id).messages[0]!.replyTo).toEqual([]);
    expect(h.store.replyToUnread(id)).toHaveLength(1);
    // The pass at start stores it.
    expect(await fillMissingReplyTo(h.store)).toEqual([id]);
    expect(h.conversations.get(id).messages[0]!.replyTo).toEqual([{ name: 'Carol Home', address: 'carol@home.test' }]);
    expect(h.store.replyToUnread(id)).toEqual([]);
    expect(await fillMissingReplyTo(h.store)).toEqual([]);
  });

  it('reads Reply-To from the raw headers of mail that could not be parsed, at import', async () => {
    const dir = tempDir('auxilium-conv-');
    // A parser that gives up on every message, as the real one does on pathological mail.
    const h = openHarness(dir.path, { parser: { parse: async () => ({ ok: false, error: 'gave up' }) } });
    cleanups.push(dir.remove, () => h.close());
    await h.ingestor.ingest(h.position, [fetched(mail({ messageId: '<broken@example.com>', replyTo: 'Orders <orders@example.com>' }))], {});
    const id = h.conversations.list({ view: 'all', limit: 1 }).items[0]!.id;
    expect(h.store.replyToUnread(id)).toEqual([]);
    expect(h.conversations.get(id).messages[0]).toMatchObject({ parseError: 'gave up', replyTo: [{ name: 'Orders', address: 'orders@example.com' }] });
  });

  it('sets status, assigns and unassigns, and refuses unknown agents and conversations', async () => {
    const h = setup();
    const id = seed(h, 1, '2026-01-01T00:00:00.000Z');
    const ann = h.conversations.saveAgent({ name: 'Ann', email: 'ann@acme.test' });
    expect(h.conversations.setStatus(id, 'pending').conversation.status).toBe('pending');
    expect(h.conversations.assign(id, ann.id).conversation.assigneeId).toBe(ann.id);
    expect(h.conversations.assign(id, null).conversation.assigneeId).toBeNull();
    expect((await failure(() => h.conversations.assign(id, 4242))).error.code).toBe('NOT_FOUND');
    expect((await failure(() => h.conversations.setStatus(999, 'open'))).error.code).toBe('NOT_FOUND');
    expect((await failure(() => h.conversations.get(999))).error.code).toBe('NOT_FOUND');
  });

  it('adds internal notes authored by the me agent, without touching inbox order or unread', async () => {
    const h = setup();
    const id = seed(h, 1, '2026-01-01T00:00:00.000Z');
    h.store.markRead(id);
    const withoutMe = h.conversations.addNote(id, 'Checked the warehouse');
    expect(withoutMe).toMatchObject({ direction: 'note', authorAgentId: null, from: { name: 'Me', address: '' } });
    const ann = h.conversations.saveAgent({ name: 'Ann', email: 'ann@acme.test' });
    h.conversations.setMe(ann.id);
    const note = h.conversations.addNote(id, 'Refund approved');
    expect(note).toMatchObject({ direction: 'note', authorAgentId: ann.id, text: 'Refund approved' });
    const detail = await h.conversations.get(id);
    expect(detail.conversation).toMatchObject({ lastMessageAt: '2026-01-01T00:00:00.000Z', snippet: 'Body number 1', unread: false, messageCount: 3 });
    expect(detail.messages.map((m) => m.direction)).toEqual(['inbound', 'note', 'note']);
    expect(h.conversations.list({ view: 'all', query: 'warehouse', limit: 5 }).items.map((i) => i.id)).toEqual([id]);
  });

  it('keeps agents unique by email, and unassigns and forgets "me" when an agent is deleted', async () => {
    const h = setup();
    const ann = h.conversations.saveAgent({ name: 'Ann', email: 'ann@acme.test' });
    expect((await failure(() => h.conversations.saveAgent({ name: 'Other', email: 'ANN@acme.test' }))).error.code).toBe('VALIDATION_FAILED');
    expect(h.conversations.saveAgent({ id: ann.id, name: 'Ann B', email: 'ann@acme.test' }).name).toBe('Ann B');
    const id = seed(h, 1, '2026-01-01T00:00:00.000Z');
    h.conversations.assign(id, ann.id);
    h.conversations.setMe(ann.id);
    h.conversations.deleteAgent(ann.id);
    expect(h.conversations.settings()).toEqual({ meAgentId: null });
    expect(h.store.conversation(id)!.assigneeId).toBeNull();
    expect(h.conversations.agentsList()).toEqual([]);
    expect((await failure(() => h.conversations.deleteAgent(ann.id))).error.code).toBe('NOT_FOUND');
  });

  it('deletes and restores: out of every queue and count, into Deleted, nothing dropped; the customer writing again brings it back', async () => {
    const h = setup();
    await h.ingestor.ingest(h.position, [fetched(mail({ messageId: '<del@example.com>', subject: 'Old order' }))], {});
    const id = h.conversations.list({ view: 'all', limit: 1 }).items[0]!.id;
    const ids = (view: 'all' | 'unassigned' | 'deleted' | 'spam') => h.conversations.list({ view, limit: 10 }).items.map((i) => i.id);
    expect(h.conversations.updateMany([id, 4242], { bin: 'deleted' })).toEqual({ ids: [id] });
    expect(ids('all')).toEqual([]);
    expect(ids('unassigned')).toEqual([]);
    expect(ids('deleted')).toEqual([id]);
    expect(h.conversations.count()).toMatchObject({ all: 0, unassigned: 0, unread: { all: 0 }, deleted: 1, spam: 0 });
    expect((await h.conversations.get(id)).messages).toHaveLength(1);
    // Every desktop of the team hears of it.
    expect(h.teamRepo.toAppend('ch1').map((e) => e.event)).toContainEqual(expect.objectContaining({ type: 'conversation.binned', bin: 'deleted' }));

    h.conversations.updateMany([id], { bin: null });
    expect(ids('all')).toEqual([id]);
    expect(ids('deleted')).toEqual([]);

    h.conversations.updateMany([id], { bin: 'deleted' });
    await h.ingestor.ingest(h.position, [fetched(mail({ messageId: '<del2@example.com>', inReplyTo: '<del@example.com>', subject: 'Re: Old order' }))], {});
    expect(ids('all')).toEqual([id]);
    expect(h.store.conversation(id)).toMatchObject({ status: 'open', messageCount: 2 });
    expect(h.store.conversation(id)!.bin).toBeUndefined();
  });

  it('marks as spam: the next conversation of that sender starts in Spam, unassigned; "Not spam" forgets the sender', async () => {
    const h = setup();
    const spammer = 'Sam Spammer <sam@spam.test>';
    await h.ingestor.ingest(h.position, [fetched(mail({ from: spammer, messageId: '<s1@spam.test>', subject: 'Cheap watches' }))], {});
    const first = h.conversations.list({ view: 'all', limit: 1 }).items[0]!.id;
    h.conversations.updateMany([first], { bin: 'spam' });
    expect(h.conversations.list({ view: 'spam', limit: 10 }).items.map((i) => i.id)).toEqual([first]);

    // A reply in the same thread stays in Spam; a new conversation from the sender starts there.
    h.changes.length = 0;
    await h.ingestor.ingest(
      h.position,
      [fetched(mail({ from: spammer, messageId: '<s2@spam.test>', inReplyTo: '<s1@spam.test>', subject: 'Re: Cheap watches' }))],
      {},
    );
    await h.ingestor.ingest(h.position, [fetched(mail({ from: 'SAM@spam.test', messageId: '<s3@spam.test>', subject: 'Cheaper watches' }))], {});
    // Shown in Spam, but no news: nothing to notify of.
    expect(h.changes.map((c) => [c.ids.length, c.created, c.replied])).toEqual([
      [1, [], []],
      [1, [], []],
    ]);
    const spam = h.conversations.list({ view: 'spam', limit: 10 }).items;
    expect(spam).toHaveLength(2);
    expect(spam.every((c) => c.assigneeId === null && c.bin === 'spam')).toBe(true);
    expect(h.conversations.list({ view: 'all', limit: 10 }).items).toEqual([]);
    expect(h.conversations.count()).toMatchObject({ all: 0, spam: 2 });

    h.conversations.updateMany(
      spam.map((c) => c.id),
      { bin: null },
    );
    await h.ingestor.ingest(h.position, [fetched(mail({ from: spammer, messageId: '<s4@spam.test>', subject: 'A real question' }))], {});
    expect(h.conversations.list({ view: 'spam', limit: 10 }).items).toEqual([]);
    expect(h.conversations.list({ view: 'all', limit: 10 }).items).toHaveLength(3);
  });

  it('shares saved replies with the team: each change is a team event naming the reply by its team id', async () => {
    const h = setup();
    const saved = h.conversations.saveSavedReply({ name: 'Refund', body: 'We refunded you.' });
    h.conversations.saveSavedReply({ id: saved.id, name: 'Refund', body: 'We have refunded you.' });
    h.conversations.deleteSavedReply(saved.id);
    const events = h.teamRepo.toAppend('ch1').map((e) => e.event);
    const replyEvents = events.filter((e) => e.type === 'saved-reply.saved' || e.type === 'saved-reply.removed');
    expect(replyEvents.map((e) => e.type)).toEqual(['saved-reply.saved', 'saved-reply.saved', 'saved-reply.removed']);
    expect(new Set(replyEvents.map((e) => ('reply' in e ? e.reply : ''))).size).toBe(1);
    expect(replyEvents[1]).toMatchObject({ name: 'Refund', body: 'We have refunded you.' });
    expect((await failure(() => h.conversations.deleteSavedReply(saved.id))).error.code).toBe('NOT_FOUND');
  });
});
