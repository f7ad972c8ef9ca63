import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { AppFailure } from '../../../shared/errors';
import { EventBus } from '../../core/event-bus';
import { channelRecord, mail, SUPPORT } from '../ingest/testing';
import { AgentRepo } from '../store/agent-repo';
import { join } from 'node:path';
import { tempDir } from '../../../test/support/temp';
import { openDatabase } from '../store/database';
import { MIGRATIONS } from '../store/migrations';
import { MailStore } from '../store/mail-store';
import { OutboxRepo } from '../store/outbox-repo';
import { OutboxService } from './outbox';
import { buildMime, isTemporary } from './sender';

const NOW = new Date('2026-11-26T10:00:00.000Z');

function setup(inbox: Parameters<typeof channelRecord>[1] = {}) {
  const db = openDatabase(':memory:');
  const store = new MailStore(db);
  const repo = new OutboxRepo(db);
  const agents = new AgentRepo(db);
  const events = new EventBus();
  const changed: number[][] = [];
  events.on('conversations:changed', (p) => changed.push(p.ids));
  let kicks = 0;
  const channel = channelRecord('ch1', { signature: 'Acme Support', ...inbox });
  const service = new OutboxService({ store, repo, agents, channel: (id) => (id === 'ch1' ? channel : undefined), events, kick: () => kicks++, now: () => NOW });
  const conversationId = store.createConversation({
    channelId: 'ch1', subject: 'Where is my order?', customer: { name: 'Carol', address: 'carol@example.com' }, assigneeId: null, token: 'ABCD2345', at: '2026-11-26T09:00:00.000Z',
  });
  const raw = mail({ from: 'Carol <carol@example.com>', replyTo: 'Orders <orders@example.com>', cc: 'Dan <dan@example.com>, Support@ACME.test', messageId: '<c1@example.com>', references: ['<c0@example.com>'] });
  store.insertMessage(
    {
      conversationId, channelId: 'ch1', direction: 'inbound', kind: 'normal', source: { mailbox: 'INBOX', uidValidity: '7', uid: 3 },
      messageId: 'c1@example.com', inReplyTo: null, references: ['c0@example.com'], dedupeKey: 'k1', subject: 'Where is my order?',
      from: { name: 'Carol', address: 'carol@example.com' }, to: [{ name: '', address: SUPPORT }], cc: [{ name: 'Dan', address: 'dan@example.com' }, { name: '', address: 'Support@ACME.test' }],
      date: '2026-11-26T09:00:00.000Z', text: 'Where is it?', html: null, parseError: null, raw, rawPath: null, size: raw.length, authorAgentId: null, createdAt: '2026-11-26T09:00:00.000Z', attachments: [],
    },
    { at: '2026-11-26T09:00:00.000Z', unread: true, reopen: false, summary: true },
  );
  return { db, store, repo, service, conversationId, changed, kicks: () => kicks };
}

describe('OutboxService', () => {
  it('stores the reply and its outbox row at once, with a fixed Message-ID, and clears the draft', async () => {
    const { store, repo, service, conversationId, changed, kicks } = setup();
    service.saveDraft(conversationId, 'half written');
    const message = await service.sendReply({ id: conversationId, mode: 'reply-all', text: 'It ships today.', undoSeconds: 5 });
    expect(message).toMatchObject({
      direction: 'outbound', kind: 'normal', subject: 'Re: Where is my order? [#ABCD2345]', text: 'It ships today.\n\n-- \nAcme Support',
      from: { address: SUPPORT }, to: [{ name: 'Orders', address: 'orders@example.com' }], cc: [{ name: 'Dan', address: 'dan@example.com' }],
      delivery: { state: 'queued', error: null, attempts: 0, nextAttemptAt: '2026-11-26T10:00:05.000Z' },
    });
    const out = repo.outgoing(message.id)!;
    expect(out.headerMessageId).toMatch(/^aux\.ABCD2345\.[a-z0-9]+@acme\.test$/);
    expect(out.inReplyTo).toBe('c1@example.com');
    expect(out.references).toEqual(['c0@example.com', 'c1@example.com']);
    expect(service.draft(conversationId)).toEqual({ text: '' });
    expect(changed).toContainEqual([conversationId]);
    expect(kicks()).toBe(1);
    // The inbox summary moves only once the reply has gone out.
    expect(store.conversation(conversationId)!.messageCount).toBe(2);
    expect(store.messages(conversationId).map((m) => m.delivery?.state ?? null)).toEqual([null, 'queued']);
  });

  it('undo gives the text back (without the signature) and removes the reply; not once it is sending', async () => {
    const { store, repo, service, conversationId } = setup();
    const first = await service.sendReply({ id: conversationId, mode: 'reply', text: 'Oops', undoSeconds: 5 });
    expect(service.cancel(first.id)).toEqual({ text: 'Oops' });
    expect(store.message(first.id)).toBeUndefined();
    expect(store.conversation(conversationId)!.messageCount).toBe(1);
    expect(store.list({ view: 'all', meAgentId: null, query: 'Oops', limit: 10 }).total).toBe(0);

    const second = await service.sendReply({ id: conversationId, mode: 'reply', text: 'Real answer', undoSeconds: 0 });
    expect(repo.markSending(second.id, NOW.toISOString())).toBe(true);
    expect(() => service.cancel(second.id)).toThrow(AppFailure);
    expect(() => service.cancel(second.id)).toThrow(/being sent/);
    repo.markSent(second.id, NOW.toISOString(), { filed: false, snippet: (t) => t });
    expect(() => service.cancel(second.id)).toThrow(/already been sent/);
    expect(store.message(second.id)!.delivery).toMatchObject({ state: 'sent', attempts: 1, nextAttemptAt: null });
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
    expect(service.cancel(m.id)).toEqual({ text: 'Hello' });
  });

  it('keeps replies of one channel in order: only the oldest pending one is at the head', async () => {
    const { repo, service, conversationId } = setup();
    const a = await service.sendReply({ id: conversationId, mode: 'reply', text: 'one', undoSeconds: 0 });
    await service.sendReply({ id: conversationId, mode: 'reply', text: 'two', undoSeconds: 0 });
    expect(repo.heads().map((h) => h.messageId)).toEqual([a.id]);
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
    expect(service.draft(conversationId)).toEqual({ text: '' });
    service.saveDraft(conversationId, 'Dear Carol');
    expect(service.draft(conversationId)).toEqual({ text: 'Dear Carol' });
    service.saveDraft(conversationId, '');
    expect(service.draft(conversationId)).toEqual({ text: '' });
    expect(() => service.saveDraft(9999, 'x')).toThrow(/no longer exists/);
  });
});

describe('buildMime', () => {
  it('builds a plain human reply: threading headers, our token header, no Auto-Submitted', async () => {
    const raw = await buildMime(
      {
        messageId: 1, channelId: 'ch1', conversationId: 1, token: 'ABCD2345', headerMessageId: 'aux.ABCD2345.x1@acme.test',
        inReplyTo: 'c1@example.com', references: ['c0@example.com', 'c1@example.com'], subject: 'Re: Order [#ABCD2345]',
        from: { name: 'Acme Support', address: SUPPORT }, to: [{ name: 'Carol', address: 'carol@example.com' }], cc: [], text: 'Grüße\n\n-- \nAcme',
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
    expect(parsed.headers.has('auto-submitted')).toBe(false);
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
      const oldStore = new MailStore(old);
      const id = oldStore.createConversation({ channelId: 'ch1', subject: 'Old', customer: { name: '', address: 'a@b.example' }, assigneeId: null, token: 'OLDT2345', at: NOW.toISOString() });
      oldStore.insertMessage(
        {
          conversationId: id, channelId: 'ch1', direction: 'inbound', kind: 'normal', messageId: 'old@b.example', inReplyTo: null, references: [], dedupeKey: null,
          subject: 'Old', from: { name: '', address: 'a@b.example' }, to: [], cc: [], date: NOW.toISOString(), text: 'old mail', html: null, parseError: null,
          raw: null, rawPath: null, size: 8, authorAgentId: null, createdAt: NOW.toISOString(), attachments: [],
        },
        { at: NOW.toISOString(), unread: true, reopen: false, summary: true },
      );
      old.close();
      const db = openDatabase(file);
      expect(db.pragma('user_version', { simple: true })).toBe(4);
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
