import { join } from 'node:path';
import { defaultChannelForm } from '../../shared/channel';
import type { InboxSettings } from '../../shared/channel';
import { EventBus } from '../../electron/services/events/event-bus';
import { TeamRepo } from '../../electron/services/team/team-repo';
import { TeamService } from '../../electron/services/team/team-service';
import { ConversationService } from '../../electron/services/conversations/conversation-service';
import { AgentRepo } from '../../electron/services/store/agent-repo';
import { ChannelRepo, settingsWithoutPasswords, type ChannelRecord } from '../../electron/services/store/channel-repo';
import { openDatabase, type Db } from '../../electron/services/store/database';
import { MailStore } from '../../electron/services/store/mail-store';
import { SavedReplyRepo } from '../../electron/services/store/saved-reply-repo';
import { MailIngestor, type MessageParser } from '../../electron/services/ingest/mail-ingestor';
import { MailParserPool } from '../../electron/services/ingest/parse';
import { RawStore } from '../../electron/services/store/raw-store';
import type { FetchedMessage } from '../../electron/services/ingest/types';
import type { MailboxPosition } from '../../electron/services/store/sync-cursor';

/** Builders shared by the ingest, store and conversation tests. Real SQLite files, the real parser. */

export const SUPPORT = 'support@acme.test';

export function channelRecord(id: string, inbox: Partial<InboxSettings> = {}): ChannelRecord {
  const form = defaultChannelForm();
  form.imap = { ...form.imap, host: 'imap.acme.test', username: SUPPORT, password: 'x' };
  form.smtp = { ...form.smtp, host: 'smtp.acme.test', username: SUPPORT, password: 'x', fromAddress: SUPPORT };
  form.inbox = { ...form.inbox, ...inbox };
  return {
    id,
    name: `Channel ${id}`,
    type: 'email',
    enabled: true,
    supportAddress: SUPPORT,
    ...settingsWithoutPasswords(form),
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
  };
}

export interface MailSpec {
  from?: string;
  to?: string;
  cc?: string;
  replyTo?: string;
  subject?: string;
  messageId?: string | null;
  inReplyTo?: string;
  references?: string[];
  date?: string;
  body?: string;
  headers?: Record<string, string>;
}

/** A plain RFC 5322 message with CRLF line ends. */
export function mail(spec: MailSpec = {}): Buffer {
  const lines = [
    `From: ${spec.from ?? 'Carol Customer <carol@example.com>'}`,
    `To: ${spec.to ?? SUPPORT}`,
    ...(spec.cc ? [`Cc: ${spec.cc}`] : []),
    ...(spec.replyTo ? [`Reply-To: ${spec.replyTo}`] : []),
    `Subject: ${spec.subject ?? 'Help with my order'}`,
    `Date: ${spec.date ?? 'Tue, 24 Nov 2026 10:00:00 +0000'}`,
    ...(spec.messageId === null ? [] : [`Message-ID: ${spec.messageId ?? `<${Math.random().toString(36).slice(2)}@example.com>`}`]),
    ...(spec.inReplyTo ? [`In-Reply-To: ${spec.inReplyTo}`] : []),
    ...(spec.references ? [`References: ${spec.references.join(' ')}`] : []),
    ...Object.entries(spec.headers ?? {}).map(([name, value]) => `${name}: ${value}`),
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    spec.body ?? 'Hello, my order has not arrived.',
    '',
  ];
  return Buffer.from(lines.join('\r\n'));
}

let nextUid = 1;
export function fetched(source: Buffer, uid = nextUid++): FetchedMessage {
  return { uid, size: source.length, source, internalDate: new Date(Date.UTC(2026, 10, 24, 10, 0, uid % 60)) };
}

export interface Harness {
  dir: string;
  db: Db;
  store: MailStore;
  agents: AgentRepo;
  channels: ChannelRepo;
  events: EventBus;
  ingestor: MailIngestor;
  conversations: ConversationService;
  position: MailboxPosition;
  team: TeamService;
  teamRepo: TeamRepo;
  changes: { ids: number[]; created: number[]; replied?: number[]; failed?: number[] }[];
  close(): Promise<void>;
}

/** Opens (or reopens) the store in `dir`, as the app does at start. */
export function openHarness(dir: string, options: { parser?: MessageParser; channel?: ChannelRecord } = {}): Harness {
  const db = openDatabase(join(dir, 'auxilium.sqlite'));
  const store = new MailStore(db);
  const agents = new AgentRepo(db);
  const channels = new ChannelRepo(db);
  const channel = options.channel ?? channelRecord('ch1');
  if (!channels.get(channel.id) || options.channel) channels.save(channel);
  const events = new EventBus();
  const changes: Harness['changes'] = [];
  events.on('conversations:changed', (payload) => changes.push(payload));
  const pool = options.parser ? null : new MailParserPool({ attachmentsDir: join(dir, 'attachments') });
  const parser = options.parser ?? (pool as MailParserPool);
  const teamRepo = new TeamRepo(db);
  const savedReplies = new SavedReplyRepo(db);
  const team = new TeamService({ repo: teamRepo, store, agents, savedReplies, channels, events, desktopId: teamRepo.desktopId() });
  const ingestor = new MailIngestor({
    store,
    agents,
    channels,
    parser,
    raw: new RawStore(join(dir, 'raw')),
    events,
    afterStore: (channelId, outcome) => team.afterIngest(channelId, outcome),
  });
  return {
    dir,
    db,
    store,
    agents,
    channels,
    events,
    ingestor,
    changes,
    team,
    teamRepo,
    conversations: new ConversationService({ store, agents, savedReplies, events, team }),
    position: { channelId: channel.id, mailbox: 'INBOX', uidValidity: '1' },
    async close() {
      await pool?.close();
      if (db.open) db.close();
    },
  };
}

/**
 * Writes a channel row as a version-2 database held it (before later migrations added columns), for
 * tests that upgrade an old database: the current repo writes columns such a database lacks.
 */
export function insertVersion2Channel(db: Db, record: ChannelRecord): void {
  db.prepare(
    `INSERT INTO channels (id, name, type, enabled, support_address, imap_settings, smtp_settings, inbox_settings, created_at, updated_at)
     VALUES (?, ?, 'email', ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    record.id,
    record.name,
    record.enabled ? 1 : 0,
    record.supportAddress,
    JSON.stringify(record.imap),
    JSON.stringify(record.smtp),
    JSON.stringify(record.inbox),
    record.createdAt,
    record.updatedAt,
  );
}
