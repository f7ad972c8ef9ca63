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
  {
    version: 2,
    description: 'per-channel inbox settings (polling, initial import, routing)',
    sql: `ALTER TABLE channels ADD COLUMN inbox_settings TEXT NOT NULL DEFAULT '{}';`,
  },
  {
    version: 3,
    description: 'agents, settings, conversations, messages, attachments, sync cursors, routing, search',
    sql: `
      CREATE TABLE agents (
        id    INTEGER PRIMARY KEY,
        name  TEXT NOT NULL,
        email TEXT NOT NULL UNIQUE COLLATE NOCASE
      ) STRICT;

      CREATE TABLE settings (
        key   TEXT PRIMARY KEY,
        value TEXT
      ) STRICT;

      -- channel_id has no foreign key on purpose: deleting a channel keeps its history.
      CREATE TABLE conversations (
        id               INTEGER PRIMARY KEY,
        channel_id       TEXT NOT NULL,
        subject          TEXT NOT NULL,
        customer_name    TEXT NOT NULL,
        customer_address TEXT NOT NULL,
        status           TEXT NOT NULL CHECK (status IN ('open', 'pending', 'closed')),
        assignee_id      INTEGER REFERENCES agents (id) ON DELETE SET NULL,
        token            TEXT NOT NULL UNIQUE,
        last_message_at  TEXT NOT NULL,
        snippet          TEXT NOT NULL,
        unread           INTEGER NOT NULL CHECK (unread IN (0, 1)),
        message_count    INTEGER NOT NULL,
        created_at       TEXT NOT NULL
      ) STRICT;
      -- One index per inbox query shape: view (assignee) x status x channel, newest first.
      CREATE INDEX conversations_all ON conversations (last_message_at DESC, id DESC);
      CREATE INDEX conversations_status ON conversations (status, last_message_at DESC, id DESC);
      CREATE INDEX conversations_assignee ON conversations (assignee_id, last_message_at DESC, id DESC);
      CREATE INDEX conversations_assignee_status ON conversations (assignee_id, status, last_message_at DESC, id DESC);
      CREATE INDEX conversations_channel ON conversations (channel_id, last_message_at DESC, id DESC);
      CREATE INDEX conversations_channel_status ON conversations (channel_id, status, last_message_at DESC, id DESC);

      CREATE TABLE messages (
        id              INTEGER PRIMARY KEY,
        conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        channel_id      TEXT NOT NULL,
        direction       TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound', 'note')),
        kind            TEXT NOT NULL CHECK (kind IN ('normal', 'auto-reply', 'list', 'bounce', 'own')),
        -- Where an inbound message came from; NULL for what we wrote ourselves.
        mailbox         TEXT,
        uid_validity    TEXT,
        uid             INTEGER,
        message_id      TEXT,
        in_reply_to     TEXT,
        "references"    TEXT NOT NULL DEFAULT '[]',
        dedupe_key      TEXT,
        subject         TEXT NOT NULL,
        from_name       TEXT NOT NULL,
        from_address    TEXT NOT NULL,
        to_json         TEXT NOT NULL DEFAULT '[]',
        cc_json         TEXT NOT NULL DEFAULT '[]',
        date            TEXT NOT NULL,
        text            TEXT NOT NULL,
        html            TEXT,
        parse_error     TEXT,
        -- The message as received: small ones inline, large ones as a file under raw/.
        raw             BLOB,
        raw_path        TEXT,
        size            INTEGER NOT NULL DEFAULT 0,
        author_agent_id INTEGER REFERENCES agents (id) ON DELETE SET NULL,
        -- The message's row in messages_fts (see MailStore.insertMessage).
        fts_rowid       INTEGER NOT NULL UNIQUE,
        created_at      TEXT NOT NULL,
        UNIQUE (channel_id, mailbox, uid_validity, uid)
      ) STRICT;
      CREATE INDEX messages_conversation ON messages (conversation_id, id);
      CREATE INDEX messages_message_id ON messages (channel_id, message_id);
      CREATE INDEX messages_dedupe ON messages (channel_id, dedupe_key);

      CREATE TABLE attachments (
        id           INTEGER PRIMARY KEY,
        message_id   INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
        filename     TEXT NOT NULL,
        content_type TEXT NOT NULL,
        size         INTEGER NOT NULL,
        content_id   TEXT,
        inline       INTEGER NOT NULL CHECK (inline IN (0, 1)),
        path         TEXT NOT NULL
      ) STRICT;
      CREATE INDEX attachments_message ON attachments (message_id);

      CREATE TABLE sync_cursors (
        channel_id         TEXT NOT NULL,
        mailbox            TEXT NOT NULL,
        uid_validity       TEXT NOT NULL,
        last_uid           INTEGER NOT NULL,
        backfill_below_uid INTEGER,
        backfill_since     TEXT,
        PRIMARY KEY (channel_id, mailbox)
      ) STRICT;

      CREATE TABLE routing_state (
        channel_id    TEXT PRIMARY KEY,
        last_agent_id INTEGER
      ) STRICT;

      -- Contentless: the text already lives in messages; the index only maps words to rows. A row's
      -- rowid carries its conversation id in the high bits, so a search finds conversations without
      -- touching the messages table. Prefix indexes keep as-you-type queries of 2-3 letters fast.
      CREATE VIRTUAL TABLE messages_fts USING fts5 (
        subject, participants, body,
        content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
      );
    `,
  },
  {
    version: 4,
    description: 'outbox for agent replies, drafts',
    sql: `
      -- One row per agent reply on its way out; the reply itself is a messages row (direction
      -- 'outbound') whose Message-ID is fixed before the first attempt, so every retry is the same mail.
      CREATE TABLE outbox (
        message_id        INTEGER PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
        channel_id        TEXT NOT NULL,
        conversation_id   INTEGER NOT NULL,
        state             TEXT NOT NULL CHECK (state IN ('queued', 'sending', 'sent', 'failed')),
        -- What the agent typed (without the signature), given back by outbox:cancel for editing.
        body_text         TEXT NOT NULL,
        -- The customer's message this answers (messages.id), for \\Answered; NULL when there is none.
        parent_id         INTEGER,
        attempts          INTEGER NOT NULL DEFAULT 0,
        -- When the worker may next try (end of the undo window, or after a backoff). ISO-8601 UTC.
        next_attempt_at   TEXT NOT NULL,
        -- Written BEFORE each SMTP transaction: a row found in 'sending' at start-up is uncertain.
        last_attempt_at   TEXT,
        accepted_at       TEXT,
        -- The mapped MailError of the last failed attempt, as JSON.
        error_json        TEXT,
        filed_at          TEXT,
        answered_at       TEXT,
        created_at        TEXT NOT NULL
      ) STRICT;
      CREATE INDEX outbox_pending ON outbox (channel_id, state, message_id);

      CREATE TABLE drafts (
        conversation_id INTEGER PRIMARY KEY REFERENCES conversations (id) ON DELETE CASCADE,
        text            TEXT NOT NULL,
        updated_at      TEXT NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 5,
    description: 'Reply-To of messages; retrying the Sent copy and \\Answered of sent replies',
    sql: `
      -- Reply-To addresses as JSON, stored at import. NULL for mail imported before this version (and
      -- mail that could not be parsed): read from the raw headers the first time its conversation is
      -- opened or answered (conversations/reply-to.ts).
      ALTER TABLE messages ADD COLUMN reply_to_json TEXT;

      -- A sent reply whose Sent copy or \\Answered flag could not be done yet: when to try again.
      -- NULL when nothing is outstanding. filed_at is also set when there was nothing to file.
      ALTER TABLE outbox ADD COLUMN followup_at TEXT;
      ALTER TABLE outbox ADD COLUMN followup_attempts INTEGER NOT NULL DEFAULT 0;
      -- The worker looks for due follow-ups on every pass; sent replies pile up, follow-ups are rare.
      CREATE INDEX outbox_followup ON outbox (followup_at) WHERE followup_at IS NOT NULL;
      UPDATE outbox SET followup_at = coalesce(accepted_at, created_at)
        WHERE state = 'sent' AND (filed_at IS NULL OR (answered_at IS NULL AND parent_id IS NOT NULL));
    `,
  },
  {
    version: 6,
    description: 'files attached to drafts',
    sql: `
      -- Files attached to a conversation's draft, stored the moment they are attached so they survive
      -- a restart like the draft's text. The file itself lives under attachments/outbound/; sending
      -- moves these rows to the reply's attachments rows and Undo moves them back (the file stays).
      CREATE TABLE draft_attachments (
        id              INTEGER PRIMARY KEY,
        conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        filename        TEXT NOT NULL,
        content_type    TEXT NOT NULL,
        size            INTEGER NOT NULL,
        path            TEXT NOT NULL,
        created_at      TEXT NOT NULL
      ) STRICT;
      CREATE INDEX draft_attachments_conversation ON draft_attachments (conversation_id, created_at, id);
    `,
  },
  {
    version: 7,
    description: 'recipients the server refused while it accepted a reply',
    sql: `
      -- A reply accepted for some recipients and refused for others (a Cc that does not exist, or is
      -- deferred): the refused ones with the mapped error each, as JSON [{ address, error }].
      ALTER TABLE outbox ADD COLUMN refused_json TEXT;
    `,
  },
  {
    version: 8,
    description: 'when each message reached us, for the order of a thread',
    sql: `
      -- The server's arrival time of inbound mail (INTERNALDATE), when an agent's reply left (or was
      -- written, until then), when a note was written. A thread is shown in this order: a customer's
      -- Date header comes from their own clock, which may be wrong. Earlier rows have only the date.
      ALTER TABLE messages ADD COLUMN arrived_at TEXT;
      UPDATE messages SET arrived_at = date;
    `,
  },
  {
    version: 9,
    description: 'why the Sent copy of a sent reply could not be filed',
    sql: `
      -- Set while a sent reply's copy could not be filed: { folder, error } with the mapped IMAP
      -- error and the server's words, shown on the reply. Cleared once it is filed.
      ALTER TABLE outbox ADD COLUMN filing_json TEXT;
      `,
  },
  {
    version: 10,
    description: 'replies found in the Sent folder, threading in any order, \\Answered of customer mail',
    sql: `
      -- A reply found in the mailbox (the Sent folder, or our own copy in the inbox) rather than sent
      -- from this desktop: who sent it, from the X-Auxilium-Agent header our outbox adds; NULL when
      -- it came from another mail client (or is not such a reply).
      ALTER TABLE messages ADD COLUMN sent_by TEXT;
      -- The customer's message is flagged \\Answered on the server (by anyone, from any client).
      ALTER TABLE messages ADD COLUMN answered_on_server INTEGER NOT NULL DEFAULT 0;

      -- Every Message-ID a message names in In-Reply-To or References: a message arriving after its
      -- replies finds them here, and their conversations are joined (ingest/linking.ts).
      CREATE TABLE message_refs (
        message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
        channel_id TEXT NOT NULL,
        ref_id     TEXT NOT NULL
      ) STRICT;
      CREATE INDEX message_refs_ref ON message_refs (channel_id, ref_id);
      CREATE INDEX message_refs_message ON message_refs (message_id);
      INSERT INTO message_refs (message_id, channel_id, ref_id)
        SELECT id, channel_id, in_reply_to FROM messages WHERE in_reply_to IS NOT NULL
        UNION SELECT m.id, m.channel_id, j.value FROM messages m, json_each(m."references") j WHERE j.value IS NOT NULL;

      -- Sent mail whose conversation is not known yet (its customer message has not been imported):
      -- kept here, not shown, until a message it refers to (or that refers to it) arrives. The
      -- message as it will be stored is kept as JSON; small raw bytes inline, large ones as a file.
      CREATE TABLE parked_messages (
        id           INTEGER PRIMARY KEY,
        channel_id   TEXT NOT NULL,
        message_id   TEXT,
        dedupe_key   TEXT,
        mailbox      TEXT NOT NULL,
        uid_validity TEXT NOT NULL,
        uid          INTEGER NOT NULL,
        message_json TEXT NOT NULL,
        raw          BLOB,
        created_at   TEXT NOT NULL,
        UNIQUE (channel_id, mailbox, uid_validity, uid)
      ) STRICT;
      CREATE INDEX parked_messages_message_id ON parked_messages (channel_id, message_id);
      CREATE INDEX parked_messages_dedupe ON parked_messages (channel_id, dedupe_key);
      CREATE TABLE parked_refs (
        parked_id  INTEGER NOT NULL REFERENCES parked_messages (id) ON DELETE CASCADE,
        channel_id TEXT NOT NULL,
        ref_id     TEXT NOT NULL
      ) STRICT;
      CREATE INDEX parked_refs_ref ON parked_refs (channel_id, ref_id);
    `,
  },
  {
    version: 11,
    description: 'team state shared through a folder of the mailbox',
    sql: `
      -- Per channel: the team folder, which numbering (UIDVALIDITY) we read it by, and how far.
      CREATE TABLE team_sync (
        channel_id     TEXT PRIMARY KEY,
        folder         TEXT NOT NULL,
        uid_validity   TEXT,
        last_uid       INTEGER NOT NULL DEFAULT 0,
        -- Events read since the last snapshot was written or read: when to write the next one.
        since_snapshot INTEGER NOT NULL DEFAULT 0
      ) STRICT;

      -- The fold of the folder's events (team/fold.ts), one row per conversation ('c:' + its
      -- reference, kept even while the conversation's mail has not arrived here), per agent
      -- ('a:' + email), and the recent event ids ('recent').
      CREATE TABLE team_state (
        channel_id TEXT NOT NULL,
        key        TEXT NOT NULL,
        state_json TEXT NOT NULL,
        PRIMARY KEY (channel_id, key)
      ) STRICT, WITHOUT ROWID;

      -- Changes made here on their way into the folder. A row stays until the event is read back
      -- from the folder, so what the desktop shows never falls back to the older value meanwhile.
      -- 'appending' is written before the APPEND: a row found so at start-up is looked up on the
      -- server before it is appended again.
      CREATE TABLE team_outbox (
        seq          INTEGER PRIMARY KEY,
        channel_id   TEXT NOT NULL,
        event_id     TEXT NOT NULL,
        conversation TEXT,
        event_json   TEXT NOT NULL,
        state        TEXT NOT NULL CHECK (state IN ('queued', 'appending', 'appended')),
        appended_uid INTEGER,
        UNIQUE (channel_id, event_id)
      ) STRICT;
      CREATE INDEX team_outbox_conversation ON team_outbox (channel_id, conversation);

      -- Messages of the folder that are not valid team messages: never applied, never expunged.
      CREATE TABLE team_malformed (
        channel_id   TEXT NOT NULL,
        uid_validity TEXT NOT NULL,
        uid          INTEGER NOT NULL,
        reason       TEXT NOT NULL,
        PRIMARY KEY (channel_id, uid_validity, uid)
      ) STRICT;

      -- A note from the team is stored once, by its event id.
      ALTER TABLE messages ADD COLUMN team_event_id TEXT;
      CREATE UNIQUE INDEX messages_team_event ON messages (team_event_id) WHERE team_event_id IS NOT NULL;
    `,
  },
  {
    version: 12,
    description: 'how a channel signs in: password or OAuth 2.0',
    sql: `
      -- JSON: method (basic | oauth2), provider, flow, tenant, issuer, scope, client ID. Never a
      -- secret or token: the client secret and refresh token are kept in the OS keychain only.
      ALTER TABLE channels ADD COLUMN auth_settings TEXT NOT NULL DEFAULT '{}';
    `,
  },
  {
    version: 13,
    description: 'reply state per conversation for the inbox list',
    sql: `
      -- The list shows per row whether a reply failed or is still waiting, and the sidebar counts
      -- conversations with a failed reply: both look the outbox up by conversation.
      CREATE INDEX outbox_conversation ON outbox (conversation_id, state);
    `,
  },
  {
    version: 14,
    description: 'saved replies',
    sql: `
      -- Replies the team reuses. Team-wide: no owner column; the newest change wins.
      CREATE TABLE saved_replies (
        id         INTEGER PRIMARY KEY,
        name       TEXT NOT NULL,
        body       TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 15,
    description: "a customer's other conversations",
    sql: `
      -- The reading pane lists the customer's other conversations, newest first. Addresses are
      -- matched without regard to case (Carol@Example.com is carol@example.com), hence lower().
      CREATE INDEX conversations_customer ON conversations (lower(customer_address), last_message_at DESC, id DESC);
    `,
  },
  {
    version: 16,
    description: 'failures of the Sent copy, \\Answered and deferred recipients counted apart',
    sql: `
      -- A sent reply's follow-ups are three unrelated things (its Sent copy, \\Answered on the
      -- customer's message, recipients the server deferred): each keeps its own failure count, so one
      -- that keeps failing neither hurries nor gives up the others. The one count so far goes to each
      -- kind that was still outstanding.
      ALTER TABLE outbox ADD COLUMN filing_attempts INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE outbox ADD COLUMN answer_attempts INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE outbox ADD COLUMN deferred_attempts INTEGER NOT NULL DEFAULT 0;
      UPDATE outbox SET
        filing_attempts = CASE WHEN filed_at IS NULL THEN followup_attempts ELSE 0 END,
        answer_attempts = CASE WHEN answered_at IS NULL AND parent_id IS NOT NULL THEN followup_attempts ELSE 0 END,
        deferred_attempts = CASE WHEN EXISTS (SELECT 1 FROM json_each(refused_json) r WHERE r.value ->> '$.error.retryable')
          THEN followup_attempts ELSE 0 END
        WHERE state = 'sent';
      ALTER TABLE outbox DROP COLUMN followup_attempts;
    `,
  },
  {
    version: 17,
    description: 'deleted and spam conversations, moves to the Trash or Junk folder, saved replies shared with the team',
    sql: `
      -- Out of the queues: 'deleted' (restorable; nothing is dropped) or 'spam'. NULL: in the queues.
      ALTER TABLE conversations ADD COLUMN bin TEXT CHECK (bin IN ('deleted', 'spam'));
      CREATE INDEX conversations_bin ON conversations (bin, last_message_at);

      -- Senders whose conversations were marked as spam: their next new conversation starts in Spam.
      -- Lower-cased addresses; "Not spam" takes the address out again.
      CREATE TABLE spam_senders (
        channel_id TEXT NOT NULL,
        address    TEXT NOT NULL,
        PRIMARY KEY (channel_id, address)
      ) STRICT, WITHOUT ROWID;

      -- A conversation whose customer mail is to be moved to the server's Trash (or Junk) folder:
      -- queued here so it survives a restart or being offline, tried again until it worked; the
      -- last failure is shown on the conversation. Restoring the conversation takes it out.
      CREATE TABLE mailbox_moves (
        conversation_id INTEGER PRIMARY KEY REFERENCES conversations (id) ON DELETE CASCADE,
        channel_id      TEXT NOT NULL,
        folder          TEXT NOT NULL CHECK (folder IN ('trash', 'junk')),
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        error           TEXT,
        created_at      TEXT NOT NULL
      ) STRICT;
      CREATE INDEX mailbox_moves_channel ON mailbox_moves (channel_id, next_attempt_at);

      -- Saved replies are shared through the team folder, named there by this id.
      ALTER TABLE saved_replies ADD COLUMN team_id TEXT NOT NULL DEFAULT '';
      UPDATE saved_replies SET team_id = lower(hex(randomblob(16)));
      CREATE UNIQUE INDEX saved_replies_team_id ON saved_replies (team_id);
    `,
  },
  {
    version: 18,
    description: 'Bcc and forwards of agent replies; per-agent signatures',
    sql: `
      -- The Bcc an agent chose for a reply (JSON addresses): delivered, never in the headers the
      -- recipients get. NULL: none.
      ALTER TABLE messages ADD COLUMN bcc_json TEXT;
      -- For a forward: the message of the conversation it forwards. Its recipients are not
      -- participants of the conversation (they never see its replies, and cannot join it).
      ALTER TABLE messages ADD COLUMN forward_of INTEGER REFERENCES messages (id) ON DELETE SET NULL;
      -- The agent's own signature, above the channel's on their replies. Kept on this desktop only.
      ALTER TABLE agents ADD COLUMN signature TEXT NOT NULL DEFAULT '';
    `,
  },
];
