import { join } from 'node:path';
import { eventNames } from '../../shared/contract';
import { ChannelService, type MailboxWatchers } from '../services/channels/channel-service';
import { testConnection } from '../services/connection-test';
import { KeychainCredentialStore, type CredentialStore } from '../services/credentials/credential-store';
import { createLogger, type Logger } from '../services/logging/logger';
import { ChannelRepo } from '../services/store/channel-repo';
import { openDatabase } from '../services/store/database';
import { EventBus } from './event-bus';
import { createRouter, type Router } from './router';

export interface CoreConfig {
  dataDir: string;
  version: string;
  credentials?: CredentialStore;
  /** Keychain service name; tests use their own so they never touch the user's entries. */
  keychainService?: string;
  /** Path of a better-sqlite3 binary for the running runtime (Electron passes its own build). */
  sqliteBinding?: string;
  /** The mailbox watcher. Until one is plugged in, an enabled channel is only marked active. */
  watchers?: MailboxWatchers;
  logger?: Logger;
}

export interface Core {
  router: Router;
  events: EventBus;
  eventNames: typeof eventNames;
  channels: ChannelService;
  logger: Logger;
  start(): Promise<void>;
  stop(): Promise<void>;
}

const markActiveOnly: MailboxWatchers = {
  start: () => undefined,
  stop: async () => undefined,
};

/** Builds every service from a config. Knows nothing of Electron, so tests and the web host use it too. */
export function createCore(config: CoreConfig): Core {
  const logger = config.logger ?? createLogger(config.dataDir);
  const db = openDatabase(join(config.dataDir, 'auxilium.sqlite'), config.sqliteBinding ? { nativeBinding: config.sqliteBinding } : {});
  const events = new EventBus();
  const credentials = config.credentials ?? new KeychainCredentialStore(config.keychainService);
  const channels = new ChannelService({
    repo: new ChannelRepo(db),
    credentials,
    events,
    watchers: config.watchers ?? markActiveOnly,
    testConnection: (values) => testConnection(values),
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
    },
    (channel, error) => logger.error({ channel, err: error }, 'request failed unexpectedly'),
  );

  let started = false;
  return {
    router,
    events,
    eventNames,
    channels,
    logger,
    async start() {
      if (started) return;
      started = true;
      await channels.start();
      logger.info({ dataDir: config.dataDir }, 'core started');
    },
    async stop() {
      if (started) await channels.stop();
      started = false;
      if (db.open) db.close();
      logger.flush();
    },
  };
}
