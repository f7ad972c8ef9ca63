import { afterEach, describe, expect, it } from 'vitest';
import { migrate, openDatabase, type Db } from './database';
import { MIGRATIONS } from './migrations';

// Migrations that change data, each tested the same way: a database stepped to the version before,
// rows seeded as that version wrote them, then stepped forward and compared.

const open: Db[] = [];
afterEach(() => open.splice(0).forEach((db) => db.close()));

function databaseAt(version: number): Db {
  const db = openDatabase(':memory:', { migrations: MIGRATIONS.filter((m) => m.version <= version) });
  open.push(db);
  expect(db.pragma('user_version', { simple: true })).toBe(version);
  return db;
}

function stepTo(db: Db, version: number): void {
  migrate(
    db,
    MIGRATIONS.filter((m) => m.version <= version),
  );
}

function seedConversation(db: Db, id: number): void {
  db.prepare(
    `INSERT INTO conversations (id, channel_id, subject, customer_name, customer_address, status, token, last_message_at, snippet, unread, message_count, created_at)
     VALUES (?, 'ch', 'Help', 'Ann', 'ann@example.com', 'open', ?, '2026-01-01T10:00:00.000Z', '', 0, 0, '2026-01-01T10:00:00.000Z')`,
  ).run(id, `TOKEN${id}`);
}

function seedMessage(db: Db, id: number, conversationId: number, direction: 'inbound' | 'outbound', date: string): void {
  db.prepare(
    `INSERT INTO messages (id, conversation_id, channel_id, direction, kind, subject, from_name, from_address, date, text, fts_rowid, created_at)
     VALUES (?, ?, 'ch', ?, 'normal', 'Help', 'Ann', 'ann@example.com', ?, 'text', ?, ?)`,
  ).run(id, conversationId, direction, date, conversationId * 2 ** 20 + id, date);
}

function seedOutbox(
  db: Db,
  messageId: number,
  fields: { state: string; parentId: number | null; acceptedAt: string | null; filedAt: string | null; answeredAt: string | null },
): void {
  db.prepare(
    `INSERT INTO outbox (message_id, channel_id, conversation_id, state, body_text, parent_id, next_attempt_at, accepted_at, filed_at, answered_at, created_at)
     VALUES (@messageId, 'ch', 1, @state, 'reply', @parentId, '2026-01-01T10:00:00.000Z', @acceptedAt, @filedAt, @answeredAt, '2026-01-01T09:00:00.000Z')`,
  ).run({ messageId, ...fields });
}

describe('migration 5: Reply-To and follow-ups of sent replies', () => {
  it('schedules the Sent copy or \\Answered that sent replies still lacked, and nothing else', () => {
    const db = databaseAt(4);
    seedConversation(db, 1);
    seedMessage(db, 1, 1, 'inbound', '2026-01-01T08:00:00.000Z');
    for (const id of [2, 3, 4, 5, 6]) seedMessage(db, id, 1, 'outbound', '2026-01-01T09:00:00.000Z');
    const accepted = '2026-01-01T09:30:00.000Z';
    // Done: filed and answered.
    seedOutbox(db, 2, { state: 'sent', parentId: 1, acceptedAt: accepted, filedAt: accepted, answeredAt: accepted });
    // Not filed yet.
    seedOutbox(db, 3, { state: 'sent', parentId: null, acceptedAt: accepted, filedAt: null, answeredAt: null });
    // Filed, but the customer's message not flagged yet.
    seedOutbox(db, 4, { state: 'sent', parentId: 1, acceptedAt: null, filedAt: accepted, answeredAt: null });
    // Nothing to answer and filed: done.
    seedOutbox(db, 5, { state: 'sent', parentId: null, acceptedAt: accepted, filedAt: accepted, answeredAt: null });
    // Still on its way: no follow-up before it is sent.
    seedOutbox(db, 6, { state: 'queued', parentId: 1, acceptedAt: null, filedAt: null, answeredAt: null });

    stepTo(db, 5);

    const rows = db.prepare('SELECT message_id, followup_at, followup_attempts FROM outbox ORDER BY message_id').all();
    expect(rows).toEqual([
      { message_id: 2, followup_at: null, followup_attempts: 0 },
      { message_id: 3, followup_at: accepted, followup_attempts: 0 },
      // No accepted_at: the reply's creation time stands in.
      { message_id: 4, followup_at: '2026-01-01T09:00:00.000Z', followup_attempts: 0 },
      { message_id: 5, followup_at: null, followup_attempts: 0 },
      { message_id: 6, followup_at: null, followup_attempts: 0 },
    ]);
    // Reply-To of earlier mail is unknown (NULL), to be read from the raw headers later, not "none".
    expect(db.prepare('SELECT reply_to_json FROM messages WHERE id = 1').get()).toEqual({ reply_to_json: null });
  });
});

describe('migration 8: arrival times', () => {
  it('gives every earlier message its date as arrival time, so threads keep their order', () => {
    const db = databaseAt(7);
    seedConversation(db, 1);
    seedMessage(db, 1, 1, 'inbound', '2026-01-01T08:00:00.000Z');
    seedMessage(db, 2, 1, 'outbound', '2026-01-01T09:00:00.000Z');

    stepTo(db, 8);

    expect(db.prepare('SELECT id, date, arrived_at FROM messages ORDER BY id').all()).toEqual([
      { id: 1, date: '2026-01-01T08:00:00.000Z', arrived_at: '2026-01-01T08:00:00.000Z' },
      { id: 2, date: '2026-01-01T09:00:00.000Z', arrived_at: '2026-01-01T09:00:00.000Z' },
    ]);
  });
});

describe('migration: saved replies shared with the team', () => {
  // Found by what it does: migrations are renumbered when branches merge.
  const version = MIGRATIONS.find((m) => m.description.startsWith('deleted and spam conversations'))!.version;

  it('names every saved reply made before for the team, each by an id of its own; conversations stay in the queues', () => {
    const db = databaseAt(version - 1);
    seedConversation(db, 1);
    const add = db.prepare("INSERT INTO saved_replies (name, body, created_at, updated_at) VALUES (?, 'text', '2026-01-01', '2026-01-01')");
    for (const name of ['Refund', 'Hello', 'Bye']) add.run(name);

    stepTo(db, version);

    const ids = (db.prepare('SELECT team_id FROM saved_replies').pluck().all() as string[]).filter((id) => /^[0-9a-f]{32}$/.test(id));
    expect(new Set(ids).size).toBe(3);
    expect(db.prepare('SELECT bin FROM conversations WHERE id = 1').get()).toEqual({ bin: null });
  });
});

describe('migration: failures of the Sent copy, \\Answered and deferred recipients counted apart', () => {
  const version = MIGRATIONS.find((m) => m.description.startsWith('failures of the Sent copy'))!.version;

  it('gives the one count so far to each kind that was still outstanding, and to nothing else', () => {
    const db = databaseAt(version - 1);
    seedConversation(db, 1);
    seedMessage(db, 1, 1, 'inbound', '2026-01-01T08:00:00.000Z');
    for (const id of [2, 3, 4, 5, 6]) seedMessage(db, id, 1, 'outbound', '2026-01-01T09:00:00.000Z');
    const at = '2026-01-01T09:30:00.000Z';
    // Copy and \Answered outstanding after 7 failed rounds.
    seedOutbox(db, 2, { state: 'sent', parentId: 1, acceptedAt: at, filedAt: null, answeredAt: null });
    // Only \Answered outstanding.
    seedOutbox(db, 3, { state: 'sent', parentId: 1, acceptedAt: at, filedAt: at, answeredAt: null });
    // Filed and answered, a deferred recipient still waiting.
    seedOutbox(db, 4, { state: 'sent', parentId: 1, acceptedAt: at, filedAt: at, answeredAt: at });
    // Given up on after 100 rounds: nothing scheduled any more.
    seedOutbox(db, 5, { state: 'sent', parentId: null, acceptedAt: at, filedAt: null, answeredAt: null });
    // Not sent yet.
    seedOutbox(db, 6, { state: 'queued', parentId: 1, acceptedAt: null, filedAt: null, answeredAt: null });
    const deferred = JSON.stringify([
      { address: 'cc@example.com', error: { code: 'RECIPIENT_DEFERRED', message: 'm', cause: 'c', fix: 'f', retryable: true } },
    ]);
    const refused = JSON.stringify([{ address: 'x@example.com', error: { code: 'RECIPIENT_REJECTED', message: 'm', cause: 'c', fix: 'f', retryable: false } }]);
    const set = db.prepare('UPDATE outbox SET followup_at = ?, followup_attempts = ?, refused_json = ? WHERE message_id = ?');
    set.run(at, 7, refused, 2);
    set.run(at, 3, null, 3);
    set.run(at, 5, deferred, 4);
    set.run(null, 100, null, 5);

    stepTo(db, version);

    expect(db.prepare('SELECT message_id, followup_at, filing_attempts, answer_attempts, deferred_attempts FROM outbox ORDER BY message_id').all()).toEqual([
      { message_id: 2, followup_at: at, filing_attempts: 7, answer_attempts: 7, deferred_attempts: 0 },
      { message_id: 3, followup_at: at, filing_attempts: 0, answer_attempts: 3, deferred_attempts: 0 },
      { message_id: 4, followup_at: at, filing_attempts: 0, answer_attempts: 0, deferred_attempts: 5 },
      { message_id: 5, followup_at: null, filing_attempts: 100, answer_attempts: 0, deferred_attempts: 0 },
      { message_id: 6, followup_at: null, filing_attempts: 0, answer_attempts: 0, deferred_attempts: 0 },
    ]);
    // The one shared count is gone.
    expect((db.prepare('SELECT name FROM pragma_table_info(?)').all('outbox') as { name: string }[]).map((c) => c.name)).not.toContain('followup_attempts');
  });
});
