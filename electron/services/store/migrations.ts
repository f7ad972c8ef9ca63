/**
 * Numbered, append-only schema migrations. Never edit a released migration: add the next number.
 * `PRAGMA user_version` records how far a database has come.
 */
export interface Migration {
  version: number;
  description: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'email channels',
    sql: `
      CREATE TABLE channels (
        id              TEXT PRIMARY KEY,
        name            TEXT NOT NULL,
        type            TEXT NOT NULL CHECK (type IN ('email')),
        enabled         INTEGER NOT NULL CHECK (enabled IN (0, 1)),
        support_address TEXT NOT NULL,
        -- Server settings without passwords (those live in the OS keychain only), as JSON.
        imap_settings   TEXT NOT NULL,
        smtp_settings   TEXT NOT NULL,
        created_at      TEXT NOT NULL,
        updated_at      TEXT NOT NULL
      ) STRICT;
    `,
  },
];
