import type Database from 'better-sqlite3';
import type { Db } from './database';

/**
 * The one rule for a conversation's place in the inbox and the snippet shown for it: the latest
 * message that counts moves it up and gives it its snippet. A message that counts is one stored
 * with a summary (mail-store.ts insertMessage), or an agent's reply once it has gone out
 * (outbox-repo.ts markSent): a reply waiting in the outbox moves nothing yet.
 */

const SNIPPET_LENGTH = 200;

export function snippetOf(text: string): string {
  // Only the start of a long body matters: a prefix that yields a whole snippet gives the same
  // snippet as the full text (collapsing a prefix's whitespace gives a prefix of the collapsed text).
  for (let end = 4 * SNIPPET_LENGTH; end < text.length; end *= 4) {
    const snippet = text.slice(0, end).replace(/\s+/g, ' ').trim();
    if (snippet.length >= SNIPPET_LENGTH) return snippet.slice(0, SNIPPET_LENGTH);
  }
  return text.replace(/\s+/g, ' ').trim().slice(0, SNIPPET_LENGTH);
}

const SQL = `UPDATE conversations SET
    last_message_at = CASE WHEN @at > last_message_at THEN @at ELSE last_message_at END,
    snippet = CASE WHEN @at >= last_message_at THEN @snippet ELSE snippet END
  WHERE id = @id`;

// Compiled once per database: ingest runs this for every message it stores.
const statements = new WeakMap<Db, Database.Statement>();

/** Moves the conversation to `at` and shows `text` as its snippet, unless a later message already counts. */
export function summarise(db: Db, conversationId: number, at: string, text: string): void {
  let statement = statements.get(db);
  if (!statement) {
    statement = db.prepare(SQL);
    statements.set(db, statement);
  }
  statement.run({ id: conversationId, at, snippet: snippetOf(text) });
}
