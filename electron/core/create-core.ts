import { join } from 'node:path';
import { eventNames } from '../../shared/contract';
import { describeMailError } from '../../shared/errors';
import { ChannelService, type MailboxWatchers } from '../services/channels/channel-service';
import { testConnection } from '../services/connection-test';
import { ConversationService } from '../services/conversations/conversation-service';
import { MailIngestor } from '../services/ingest/mail-ingestor';
import { MailParserPool, parserWorkerCount } from '../services/ingest/parse';
import { RawStore } from '../services/store/raw-store';
import { fillMissingReplyTo } from '../services/ingest/reply-to';
import type { Ingestor } from '../services/ingest/types';
import { KeychainCredentialStore, type CredentialStore } from '../services/credentials/credential-store';
import { MailboxMover, type MailboxMoverOptions } from '../services/imap/mailbox-mover';
import { WatcherSupervisor } from '../services/imap/supervisor';
import { createLogger, type Logger } from '../services/logging/logger';
import { AgentRepo } from '../services/store/agent-repo';
import { ChannelRepo } from '../services/store/channel-repo';
import { WalCheckpointer } from '../services/store/checkpointer';
import { sweepUnreferencedFiles } from '../services/store/file-sweep';
import { openDatabase } from '../services/store/database';
import { MailStore } from '../services/store/mail-store';
import { MoveRepo } from '../services/store/move-repo';
import { OutboxRepo } from '../services/store/outbox-repo';
import { OAuthService } from '../services/oauth/oauth-service';
import { toAppFailure } from '../services/oauth/oauth-failure';
import { SavedReplyRepo } from '../services/store/saved-reply-repo';
import { OutboxService } from '../services/smtp/outbox';
import { outboundFolder } from '../services/smtp/reply-attachments';
import { createSentFolder } from '../services/imap/mailbox-ops';
import { OutboxWorker, type OutboxOptions } from '../services/smtp/scheduler';
import { TeamRepo } from '../services/team/team-repo';
import { TeamService } from '../services/team/team-service';
import { TeamSyncs, type TeamSyncOptions } from '../services/team/team-sync';
import { inlineImages, isInside, type AttachmentFile } from './attachment-response';
import { preparePrivateFolder } from './data-dir';
import { EventBus } from '../services/events/event-bus';
import { createRouter, type Router } from './router';

export interface CoreConfig {
  dataDir: string;
  version: string;
  credentials?: CredentialStore;
  /** Keychain service name; tests use their own so they never touch the user's entries. */
  keychainService?: string;
  /** Path of a better-sqlite3 binary for the running runtime (Electron passes its own build). */
  sqliteBinding?: string;
  /** The mailbox watchers; by default one IMAP session per enabled channel. */
  watchers?: MailboxWatchers;
  logger?: Logger;
  /** Outbox pacing (backoff, SMTP timeout) and test hooks; defaults suit real use. */
  outbox?: OutboxOptions;
  /** How moves of deleted mail to the server's Trash are retried; defaults suit real use. */
  moves?: MailboxMoverOptions;
  /**
   * Sharing team state through each channel's team folder; defaults suit real use. `false` keeps
   * it on this desktop (changes still queue, for when it is turned on). Off by default when
   * `watchers` stand in for the mail server: there is no server to share through then.
   */
  team?: TeamSyncOptions | false;
  /**
   * Opens a URL in the system browser, for OAuth sign-in (Electron passes shell.openExternal).
   * Without it, the renderer opens the sign-in page itself (the web host: a new tab).
   */
  openExternal?: (url: string) => Promise<void>;
}

export interface Core {
  router: Router;
  events: EventBus;
  eventNames: typeof eventNames;
  channels: ChannelService;
  conversations: ConversationService;
  /** Team state shared with the other desktops on the same mailbox. */
  team: TeamService;
  /** Agent replies: queue, undo, retry, drafts. */
  outbox: OutboxService;
  /** Where the mailbox watcher hands fetched mail. */
  ingestor: Ingestor;
  /** Decoded attachments, one file each. */
  attachmentsDir: string;
  /** An attachment's file for download; undefined when unknown or stored outside attachmentsDir. */
  attachmentFile(id: number): AttachmentFile | undefined;
  /** Raw messages too large to keep inside SQLite. */
  rawDir: string;
  logger: Logger;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Builds every service from a config. Knows nothing of Electron, so tests and the web host use it too. */
export function createCore(config: CoreConfig): Core {
  preparePrivateFolder(config.dataDir);
  const logger = config.logger ?? createLogger(config.dataDir);
  const dbFile = join(config.dataDir, 'auxilium.sqlite');
  const db = openDatabase(dbFile, config.sqliteBinding ? { nativeBinding: config.sqliteBinding } : {});
  const checkpointer = new WalCheckpointer(db, {
    file: dbFile,
    nativeBinding: config.sqliteBinding,
    onError: (error) => logger.warn({ err: error }, 'database checkpoints moved back to the main thread'),
  });
  const events = new EventBus((event, error) => logger.error({ event, err: error }, 'an event could not be delivered'));
  const credentials = config.credentials ?? new KeychainCredentialStore(config.keychainService);
  const channelRepo = new ChannelRepo(db);
  const attachmentsDir = join(config.dataDir, 'attachments');
  const rawDir = join(config.dataDir, 'raw');
  const mailStore = new MailStore(db);
  const agents = new AgentRepo(db);
  const parser = new MailParserPool({ attachmentsDir, workers: parserWorkerCount() });
  const rawStore = new RawStore(rawDir);
  const teamRepo = new TeamRepo(db);
  const savedReplies = new SavedReplyRepo(db);
  const team = new TeamService({
    repo: teamRepo,
    store: mailStore,
    agents,
    savedReplies,
    channels: channelRepo,
    events,
    desktopId: teamRepo.desktopId(),
    log: logger,
  });
  const ingestor = new MailIngestor({
    store: mailStore,
    agents,
    channels: channelRepo,
    parser,
    raw: rawStore,
    events,
    afterStore: (channelId, outcome) => {
      try {
        team.afterIngest(channelId, outcome);
      } catch (error) {
        logger.error({ err: error, channelId }, 'could not apply team state to new mail');
      }
    },
  });
  const moves = new MailboxMover({
    ...config.moves,
    repo: new MoveRepo(db),
    channel: (id) => channelRepo.get(id),
    // The channel service is there by the time a move is made.
    secrets: (id) => channels.withSecrets(id),
    events,
    log: logger,
  });
  const conversations = new ConversationService({ store: mailStore, agents, savedReplies, events, team, moves });
  const mailWatchers =
    config.watchers ??
    // The channel service is there by the time a watcher reports anything.
    new WatcherSupervisor({ ingestor, log: logger, notice: (id, kind, notice) => channels.setNotice(id, kind, notice) });
  const teamSyncs =
    config.team === false || (config.watchers && config.team === undefined) ? undefined : new TeamSyncs(team, teamRepo, { log: logger, ...config.team });
  const oauth = new OAuthService({ credentials, log: logger, openExternal: config.openExternal });
  const channels = new ChannelService({
    oauth,
    repo: channelRepo,
    credentials,
    events,
    // The team folder gets a session of its own beside the mailbox's: one IDLE per connection.
    watchers: {
      start(channel, setStatus) {
        mailWatchers.start(channel, setStatus);
        teamSyncs?.start(channel);
        // Settings may have changed (a Trash folder named, the channel enabled again): waiting moves go now.
        moves.kick(channel.id);
      },
      async stop(channelId) {
        await Promise.all([mailWatchers.stop(channelId), teamSyncs?.stop(channelId)]);
      },
    },
    teamStatus: (id) => team.syncStatus(id),
    testConnection: (values) => testConnection(values),
  });
  team.onStatus(() => channels.announce());

  oauth.onSignInLost = (channelId, failure) => {
    const entry = describeMailError(failure.oauthCode, { protocol: 'imap', host: '', port: 0, oauth: true }, failure.detail);
    channels.signInLost(channelId, `${entry.message} — ${entry.fix}`);
  };

  const outboxRepo = new OutboxRepo(db, mailStore);
  const outboxWorker = new OutboxWorker({
    ...config.outbox,
    repo: outboxRepo,
    raw: rawStore,
    channel: (id) => channelRepo.get(id),
    secrets: (id) => channels.withSecrets(id),
    events,
    log: logger,
    notice: (id, kind, notice) => channels.setNotice(id, kind, notice),
  });
  const outbox = new OutboxService({
    store: mailStore,
    repo: outboxRepo,
    agents,
    channel: (id) => channelRepo.get(id),
    events,
    attachmentsDir,
    kick: (channelId) => outboxWorker.kick(channelId),
    team,
  });

  const router = createRouter(
    {
      'app:get-info': async () => ({ version: config.version, dataDir: config.dataDir, keychain: await credentials.check() }),
      'channels:list': () => channels.list(),
      'channels:create': (input) => channels.create(input),
      'channels:update': (input) => channels.update(input.id, input.values),
      'channels:set-enabled': (input) => channels.setEnabled(input.id, input.enabled),
      'channels:delete': async (input) => {
        await channels.delete(input.id);
        return { id: input.id };
      },
      'channels:test-connection': (input) => channels.testConnection(input.values, input.channelId),
      'oauth:start-sign-in': async (input) => {
        try {
          return await oauth.startSignIn(await channels.oauthClient(input.auth, input.channelId));
        } catch (error) {
          throw toAppFailure(error);
        }
      },
      'oauth:finish-sign-in': async (input) => {
        try {
          await oauth.finishSignIn(input.signInId);
        } catch (error) {
          throw toAppFailure(error);
        }
        if (input.channelId) {
          await channels.signedIn(input.channelId, input.signInId);
          // Replies held while the sign-in was invalid go out now.
          outboxWorker.resume(input.channelId);
        }
        return { signInId: input.signInId };
      },
      'oauth:cancel-sign-in': (input) => {
        oauth.cancelSignIn(input.signInId);
        return {};
      },
      'channels:create-sent-folder': async (input) => {
        const { imap } = await channels.withSecrets(input.id);
        return channels.setSentFolder(input.id, await createSentFolder(imap));
      },
      'conversations:list': (input) => conversations.list(input),
      'conversations:count': (input) => conversations.count(input.channelId),
      'conversations:get': (input) => conversations.get(input.id),
      'conversations:mark-read': (input) => conversations.markRead(input.id),
      'conversations:set-status': (input) => conversations.setStatus(input.id, input.status),
      'conversations:assign': (input) => conversations.assign(input.id, input.agentId),
      'conversations:get-summary': (input) => conversations.summary(input.id),
      'conversations:list-by-customer': (input) => conversations.byCustomer(input),
      'conversations:update-many': (input) => conversations.updateMany(input.ids, input.patch),
      'conversations:add-note': (input) => conversations.addNote(input.id, input.text),
      'conversations:set-replying': (input) => conversations.setReplying(input.id, input.active),
      'messages:get-raw': (input) => conversations.raw(input.id),
      'messages:get-inline-images': (input) => inlineImages(mailStore.inlineParts(input.id).filter((part) => isInside(attachmentsDir, part.path))),
      'conversations:send-reply': (input) => outbox.sendReply(input),
      'outbox:cancel': (input) => outbox.cancel(input.messageId),
      'outbox:retry': (input) => outbox.retry(input.messageId),
      'drafts:get': (input) => outbox.draft(input.conversationId),
      'drafts:save': (input) => outbox.saveDraft(input.conversationId, input.text),
      'drafts:add-attachment': (input) => outbox.addDraftAttachment(input),
      'drafts:remove-attachment': (input) => outbox.removeDraftAttachment(input.id),
      'agents:list': () => conversations.agentsList(),
      'agents:save': (input) => conversations.saveAgent(input),
      'agents:set-signature': (input) => conversations.setAgentSignature(input),
      'agents:delete': (input) => conversations.deleteAgent(input.id),
      'saved-replies:list': () => conversations.savedRepliesList(),
      'saved-replies:save': (input) => conversations.saveSavedReply(input),
      'saved-replies:delete': (input) => conversations.deleteSavedReply(input.id),
      'settings:get': () => conversations.settings(),
      'settings:set-me': (input) => conversations.setMe(input.agentId),
    },
    (channel, error) => logger.error({ channel, err: error }, 'request failed unexpectedly'),
  );

  let started = false;
  /** The background read of earlier mail's Reply-To (start), ended and awaited by stop. */
  let fillingReplyTo: Promise<void> | undefined;
  let stopping = false;
  return {
    router,
    events,
    eventNames,
    channels,
    conversations,
    team,
    outbox,
    ingestor,
    attachmentsDir,
    attachmentFile(id) {
      const file = mailStore.attachmentFile(id);
      return file && isInside(attachmentsDir, file.path) ? file : undefined;
    },
    rawDir,
    logger,
    async start() {
      if (started) return;
      started = true;
      // Not essential: without the worker the main connection checkpoints, as SQLite does by default.
      await checkpointer.start().catch((error: Error) => logger.warn({ err: error }, 'checkpoint worker did not start'));
      // Before any import or send of this run starts, so only files of earlier runs can be unreferenced.
      try {
        const removed = await sweepUnreferencedFiles(db, [attachmentsDir, outboundFolder(attachmentsDir), rawDir]);
        if (removed.length > 0) logger.info({ count: removed.length }, 'removed files an interrupted import or reply left behind');
      } catch (error) {
        logger.warn({ err: error }, 'could not look for files left behind');
      }
      await channels.start();
      outboxWorker.start();
      moves.start();
      // Mail imported before Reply-To was stored gets it now, in the background, once.
      stopping = false;
      fillingReplyTo = fillMissingReplyTo(mailStore, () => stopping)
        .then((ids) => {
          if (ids.length > 0) events.emit('conversations:changed', { ids, created: [] });
        })
        .catch((error: unknown) => logger.warn({ err: error }, 'could not read Reply-To of earlier mail'));
      logger.info({ dataDir: config.dataDir }, 'core started');
    },
    async stop() {
      // Sends in flight finish first: a reply is not cut off halfway by a normal quit.
      stopping = true;
      await outboxWorker.stop();
      await moves.stop();
      await fillingReplyTo;
      if (started) await channels.stop();
      started = false;
      await ingestor.close();
      team.close();
      await parser.close();
      await checkpointer.stop();
      if (db.open) db.close();
      logger.flush();
    },
  };
}
