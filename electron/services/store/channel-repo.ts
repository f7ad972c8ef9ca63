import { z } from 'zod';
import { DEFAULT_INBOX_SETTINGS, imapFormSchema, inboxSettingsSchema, smtpFormSchema, type ChannelForm, type InboxSettings } from '../../../shared/channel';
import type { Db } from './database';
import { readJsonColumn } from './json-column';

const storedImapSchema = imapFormSchema.omit({ password: true });
const storedSmtpSchema = smtpFormSchema.omit({ password: true });

/** A channel row as stored: settings without passwords. */
export interface ChannelRecord {
  id: string;
  name: string;
  type: 'email';
  enabled: boolean;
  supportAddress: string;
  imap: z.infer<typeof storedImapSchema>;
  smtp: z.infer<typeof storedSmtpSchema>;
  inbox: InboxSettings;
  createdAt: string;
  updatedAt: string;
}

interface ChannelRow {
  id: string;
  name: string;
  type: string;
  enabled: number;
  support_address: string;
  imap_settings: string;
  smtp_settings: string;
  inbox_settings: string;
  created_at: string;
  updated_at: string;
}

/** Drops the passwords: whatever reaches SQLite goes through here. */
export function settingsWithoutPasswords(form: ChannelForm): Pick<ChannelRecord, 'imap' | 'smtp' | 'inbox'> {
  return { imap: storedImapSchema.parse(form.imap), smtp: storedSmtpSchema.parse(form.smtp), inbox: form.inbox };
}

function fromRow(row: ChannelRow): ChannelRecord {
  return {
    id: row.id,
    name: row.name,
    type: 'email',
    enabled: row.enabled === 1,
    supportAddress: row.support_address,
    imap: readJsonColumn(storedImapSchema, row.imap_settings, 'IMAP settings'),
    smtp: readJsonColumn(storedSmtpSchema, row.smtp_settings, 'SMTP settings'),
    // Rows from before inbox settings existed (or missing keys) take the defaults.
    inbox: inboxSettingsSchema.parse({ ...DEFAULT_INBOX_SETTINGS, ...JSON.parse(row.inbox_settings) }),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export class ChannelRepo {
  constructor(private readonly db: Db) {}

  list(): ChannelRecord[] {
    const rows = this.db.prepare('SELECT * FROM channels ORDER BY created_at, id').all() as ChannelRow[];
    return rows.map(fromRow);
  }

  get(id: string): ChannelRecord | undefined {
    const row = this.db.prepare('SELECT * FROM channels WHERE id = ?').get(id) as ChannelRow | undefined;
    return row && fromRow(row);
  }

  /** Inserts or replaces the whole record. */
  save(record: ChannelRecord): void {
    this.db
      .prepare(
        `INSERT INTO channels (id, name, type, enabled, support_address, imap_settings, smtp_settings, inbox_settings, created_at, updated_at)
         VALUES (@id, @name, @type, @enabled, @supportAddress, @imap, @smtp, @inbox, @createdAt, @updatedAt)
         ON CONFLICT (id) DO UPDATE SET
           name = excluded.name, type = excluded.type, enabled = excluded.enabled,
           support_address = excluded.support_address, imap_settings = excluded.imap_settings,
           smtp_settings = excluded.smtp_settings, inbox_settings = excluded.inbox_settings,
           updated_at = excluded.updated_at`,
      )
      .run({
        ...record,
        enabled: record.enabled ? 1 : 0,
        imap: JSON.stringify(storedImapSchema.parse(record.imap)),
        smtp: JSON.stringify(storedSmtpSchema.parse(record.smtp)),
        inbox: JSON.stringify(inboxSettingsSchema.parse(record.inbox)),
      });
  }

  delete(id: string): boolean {
    return this.db.prepare('DELETE FROM channels WHERE id = ?').run(id).changes > 0;
  }
}
