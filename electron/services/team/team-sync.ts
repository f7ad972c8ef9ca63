import { randomUUID } from 'node:crypto';
import type { ImapFlow, ImapFlowOptions } from 'imapflow';
import type { Snapshot, TeamEvent } from '../../../shared/team-events';
import type { ChannelWithSecrets, MailboxWatchers } from '../channels/channel-service';
import { mapImapError } from '../mail-errors/map-error';
import { backoffDelay, DEFAULT_BACKOFF, describeDelay, type BackoffOptions } from '../imap/backoff';
import { appendMessage } from '../imap/append';
import { connectImap, createImapClient } from '../imap/connect';
import { searchUids } from '../imap/search';
import { composeTeamMessage, EVENT_HEADER, readTeamMessage, TEAM_FETCH, TEAM_HEADER } from './team-message';
import type { TeamCursor, TeamRepo } from './team-repo';
import type { FolderItem, TeamLog, TeamService, TeamTransport } from './team-service';

/** The folder a channel uses when its settings name none, under the server's personal namespace. */
export const DEFAULT_TEAM_FOLDER = 'Auxilium Team';

export interface TeamSyncOptions {
  /** Poll as a fallback to IDLE; it also notices a folder that was deleted or renumbered. */
  pollMs?: number;
  /** Events read (or written) before this desktop writes a snapshot and expunges what it covers. */
  snapshotEvery?: number;
  /** Messages fetched per round trip while catching up. */
  batchSize?: number;
  backoff?: BackoffOptions;
  connectTimeoutMs?: number;
  log?: TeamLog;
  /** Test hook: runs right after the server accepted an APPEND, before it is recorded here. */
  afterAppend?: (event: TeamEvent) => void;
}

const DEFAULTS = { pollMs: 60_000, snapshotEvery: 500, batchSize: 500, connectTimeoutMs: 30_000 };

/** One IMAP session per channel on its team folder, beside the mailbox watcher's (one IDLE per connection). */
export class TeamSyncs implements MailboxWatchers, TeamTransport {
  private readonly syncs = new Map<string, TeamFolderSync>();
  private readonly stopping = new Map<string, Promise<void>>();

  constructor(
    private readonly service: TeamService,
    private readonly repo: TeamRepo,
    private readonly options: TeamSyncOptions = {},
  ) {
    service.attach(this);
  }

  start(channel: ChannelWithSecrets): void {
    const previous = this.syncs.get(channel.id);
    if (channel.inbox.teamFolder === 'none') {
      if (previous) void this.stop(channel.id);
      this.service.setSyncStatus(channel.id, { state: 'off', folder: '', behind: 0, message: 'Team sync is off for this channel' });
      return;
    }
    const sync = new TeamFolderSync(channel, this.service, this.repo, this.options);
    this.syncs.set(channel.id, sync);
    const before = previous ? this.stopSync(channel.id, previous) : this.stopping.get(channel.id);
    if (before) void before.then(() => sync.start());
    else sync.start();
  }

  async stop(channelId: string): Promise<void> {
    const sync = this.syncs.get(channelId);
    if (!sync) return this.stopping.get(channelId);
    this.syncs.delete(channelId);
    await this.stopSync(channelId, sync);
  }

  kick(channelId: string): void {
    this.syncs.get(channelId)?.kick();
  }

  sendPresence(channelId: string, event: TeamEvent): void {
    this.syncs.get(channelId)?.sendPresence(event);
  }

  private stopSync(channelId: string, sync: TeamFolderSync): Promise<void> {
    const done = sync.stop().finally(() => {
      if (this.stopping.get(channelId) === done) this.stopping.delete(channelId);
    });
    this.stopping.set(channelId, done);
    return done;
  }
}

function connectionLost(): Error {
  return Object.assign(new Error('Connection not available'), { code: 'NoConnection' });
}

/** `X-Auxilium-Snapshot: <upTo> <uidValidity>` of a fetched header block. */
function snapshotHeader(headers: Buffer | undefined): { upTo: number; uidValidity: string } | undefined {
  const match = headers && /^x-auxilium-snapshot:\s*(\d+)\s+(\S+)/im.exec(headers.toString('latin1'));
  return match ? { upTo: Number(match[1]), uidValidity: match[2]! } : undefined;
}

/**
 * Keeps one channel's team folder and this desktop in step: creates the folder when missing, reads
 * its messages in UID order, appends this desktop's changes, writes snapshots, and starts over with
 * a seed when the folder was deleted or renumbered. Waits in IDLE between, with a poll as fallback.
 */
class TeamFolderSync {
  private readonly opts: Required<Omit<TeamSyncOptions, 'log' | 'afterAppend'>> & Pick<TeamSyncOptions, 'log' | 'afterAppend'>;
  private running: Promise<void> | undefined;
  private stopped = false;
  private client: ImapFlow | undefined;
  private signalled = false;
  private wakeup: (() => void) | undefined;
  private presence: TeamEvent[] = [];
  private folder = '';
  /** The folder is read from its start (a new channel, or after re-seeding): the roster here joins the team's. */
  private fromStart = false;

  constructor(
    private readonly channel: ChannelWithSecrets,
    private readonly service: TeamService,
    private readonly repo: TeamRepo,
    options: TeamSyncOptions,
  ) {
    this.opts = {
      ...DEFAULTS,
      backoff: DEFAULT_BACKOFF,
      ...(Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as TeamSyncOptions),
    };
  }

  start(): void {
    if (this.running || this.stopped) return;
    this.running = this.run().catch((error: unknown) => {
      this.opts.log?.warn({ channelId: this.channel.id, err: String(error) }, 'team sync stopped unexpectedly');
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    const client = this.client;
    if (client) await client.logout().catch(() => client.close());
    await this.running;
  }

  kick(): void {
    this.wake();
  }

  sendPresence(event: TeamEvent): void {
    if (!this.client?.usable) return;
    // Only the latest word per conversation matters.
    this.presence = this.presence.filter((p) => !('conversation' in p && 'conversation' in event && p.conversation === event.conversation));
    this.presence.push(event);
    this.wake();
  }

  private wake(): void {
    this.signalled = true;
    this.wakeup?.();
  }

  private status(state: 'connecting' | 'connected' | 'catching-up' | 'offline', message: string, behind = 0): void {
    if (!this.stopped) this.service.setSyncStatus(this.channel.id, { state, folder: this.folder, behind, message });
  }

  private async run(): Promise<void> {
    let attempt = 0;
    this.status('connecting', `Connecting to ${this.channel.imap.host}`);
    while (!this.stopped) {
      try {
        await this.session(() => {
          attempt = 0;
        });
      } catch (error) {
        if (this.stopped) break;
        const delay = backoffDelay(attempt, this.opts.backoff);
        attempt += 1;
        const { imap } = this.channel;
        const reason = mapImapError(error, { protocol: 'imap', host: imap.host, port: imap.port, mailbox: this.folder || DEFAULT_TEAM_FOLDER }).message;
        this.opts.log?.warn({ channelId: this.channel.id, err: error instanceof Error ? error.message : String(error), delay }, 'team sync retrying');
        this.status('offline', `${reason} — retrying in ${describeDelay(delay)}`);
        await this.sleep(delay);
      }
    }
  }

  private async session(onHealthy: () => void): Promise<void> {
    let sessionError: Error | undefined;
    // Made by connectImap, which signs in with the channel's password or OAuth token (and makes a
    // second client when a refused token is replaced by a fresh one).
    const make = (options: ImapFlowOptions): ImapFlow => {
      const made = createImapClient({ ...options, maxIdleTime: 20 * 60_000 }, (err) => {
        sessionError ??= err;
        this.wake();
      });
      sessionError = undefined;
      this.client = made;
      made.on('exists', () => this.wake());
      made.on('close', () => this.wake());
      return made;
    };
    let client: ImapFlow | undefined;
    try {
      client = await connectImap(this.channel.imap, { timeoutMs: this.opts.connectTimeoutMs, socketTimeoutMs: 30 * 60_000 }, make);
      this.folder = this.channel.inbox.teamFolder || `${client.namespace?.prefix ?? ''}${DEFAULT_TEAM_FOLDER}`;
      await this.open(client);
      onHealthy();
      while (!this.stopped) {
        this.signalled = false;
        await this.flush(client);
        await this.catchUp(client);
        await this.maybeSnapshot(client);
        if (this.signalled) continue;
        this.status('connected', `Sharing team state in ${this.folder}`);
        if (!client.usable) throw sessionError ?? connectionLost();
        client.idle().catch(() => undefined);
        const woke = await this.waitForWake(this.opts.pollMs);
        if (this.stopped) break;
        if (!client.usable) throw sessionError ?? connectionLost();
        // A fresh SELECT is the only way to see the folder was deleted or renumbered meanwhile.
        if (woke === 'timer') await this.open(client);
      }
    } catch (error) {
      if (this.stopped) return;
      throw sessionError ?? error;
    } finally {
      const made = this.client;
      this.client = undefined;
      this.presence = [];
      await made?.logout().catch(() => made.close());
    }
  }

  /** Selects the folder (creating it when missing) and handles a new UIDVALIDITY. */
  private async open(client: ImapFlow): Promise<void> {
    let mailbox;
    try {
      mailbox = await client.mailboxOpen(this.folder);
    } catch (error) {
      // Missing (never created, or deleted by an admin): create it; a real failure shows on the second try.
      this.opts.log?.info(
        { channelId: this.channel.id, folder: this.folder, err: error instanceof Error ? error.message : String(error) },
        'creating the team folder',
      );
      await client.mailboxCreate(this.folder).catch(() => undefined);
      mailbox = await client.mailboxOpen(this.folder);
    }
    const uidValidity = String(mailbox.uidValidity);
    const cursor = this.repo.cursor(this.channel.id);
    if (!cursor || cursor.uidValidity === null) {
      this.repo.saveCursor({ channelId: this.channel.id, folder: this.folder, uidValidity, lastUid: 0, sinceSnapshot: 0 });
      this.fromStart = true;
      return;
    }
    if (cursor.uidValidity === uidValidity && cursor.folder === this.folder) return;
    // A folder that was deleted, renumbered or changed: what this desktop holds goes back in as a
    // seed first, and only once the server has it does reading start over.
    this.opts.log?.info(
      { channelId: this.channel.id, folder: this.folder, from: cursor.uidValidity, to: uidValidity },
      'team folder is new or renumbered: seeding it',
    );
    const seed: Snapshot = {
      v: 1,
      type: 'snapshot',
      id: randomUUID(),
      at: new Date().toISOString(),
      upTo: 0,
      uidValidity,
      seed: true,
      state: this.repo.loadAll(this.channel.id),
    };
    await appendMessage(client, this.folder, await composeTeamMessage(seed, this.channel.supportAddress));
    this.service.restart(this.channel.id, { channelId: this.channel.id, folder: this.folder, uidValidity, lastUid: 0, sinceSnapshot: 0 });
    this.fromStart = true;
  }

  /** Reads what is new in the folder: from the newest snapshot when events before it are gone. */
  private async catchUp(client: ImapFlow): Promise<void> {
    const mailbox = client.mailbox;
    if (!mailbox) throw connectionLost();
    const cursor = this.repo.cursor(this.channel.id)!;
    if (mailbox.exists > 0) await this.readNew(client, cursor);
    if (this.fromStart) {
      this.fromStart = false;
      this.service.joined(this.channel.id);
    }
  }

  private async readNew(client: ImapFlow, start: TeamCursor): Promise<TeamCursor> {
    let cursor = start;
    const metas: { uid: number; snapshot?: { upTo: number; uidValidity: string } }[] = [];
    for await (const message of client.fetch(`${cursor.lastUid + 1}:*`, { uid: true, headers: ['x-auxilium-snapshot'] }, { uid: true })) {
      if (message.uid > cursor.lastUid) metas.push({ uid: message.uid, snapshot: snapshotHeader(message.headers) });
    }
    metas.sort((a, b) => a.uid - b.uid);
    // Events up to a snapshot's upTo may already be expunged: start from the snapshot that covers most.
    const best = metas
      .filter((m) => m.snapshot && m.snapshot.uidValidity === cursor.uidValidity && m.snapshot.upTo > cursor.lastUid && m.snapshot.upTo > 0)
      .sort((a, b) => b.snapshot!.upTo - a.snapshot!.upTo)[0];
    if (best) {
      const [fetched] = await this.fetchItems(client, [best.uid], cursor);
      if (fetched && 'snapshot' in fetched) {
        cursor = { ...cursor, lastUid: fetched.snapshot.upTo, sinceSnapshot: 0 };
        this.service.replaceWithSnapshot(this.channel.id, fetched.snapshot, cursor);
      }
    }
    const remaining = metas.filter((m) => m.uid > cursor.lastUid).map((m) => m.uid);
    for (let i = 0; i < remaining.length && !this.stopped; i += this.opts.batchSize) {
      if (remaining.length > this.opts.batchSize) this.status('catching-up', `Catching up: ${remaining.length - i} team events`, remaining.length - i);
      const uids = remaining.slice(i, i + this.opts.batchSize);
      const fetched = await this.fetchItems(client, uids, cursor);
      const items: FolderItem[] = [];
      // Events since the latest snapshot anyone wrote: when this desktop should write the next.
      let since = cursor.sinceSnapshot;
      for (const item of fetched) {
        if (!('snapshot' in item)) {
          items.push(item);
          since += 1;
        } else if (item.snapshot.seed) {
          items.push({ uid: item.uid, serverAt: item.serverAt, seed: item.snapshot });
        } else {
          // A snapshot this desktop has already read past: the others are in step up to there.
          since = 0;
        }
      }
      cursor = { ...cursor, lastUid: uids[uids.length - 1]!, sinceSnapshot: since };
      this.service.apply(this.channel.id, items, cursor);
    }
    return cursor;
  }

  /** Reads messages by UID; malformed ones are recorded (never applied, never expunged) and logged. */
  private async fetchItems(
    client: ImapFlow,
    uids: number[],
    cursor: TeamCursor,
  ): Promise<({ uid: number; serverAt: string; message: TeamEvent } | { uid: number; serverAt: string; snapshot: Snapshot })[]> {
    const out: ({ uid: number; serverAt: string; message: TeamEvent } | { uid: number; serverAt: string; snapshot: Snapshot })[] = [];
    for await (const fetched of client.fetch(uids.join(','), { ...TEAM_FETCH, bodyParts: [...TEAM_FETCH.bodyParts] }, { uid: true })) {
      const serverAt = (fetched.internalDate instanceof Date ? fetched.internalDate : new Date(fetched.internalDate ?? Date.now())).toISOString();
      const read = readTeamMessage(fetched);
      if (!read.ok) {
        this.repo.addMalformed(this.channel.id, cursor.uidValidity ?? '', fetched.uid, read.reason);
        this.opts.log?.warn(
          { channelId: this.channel.id, folder: this.folder, uid: fetched.uid, reason: read.reason },
          'ignoring a message in the team folder',
        );
        continue;
      }
      const message = read.message;
      out.push(message.type === 'snapshot' ? { uid: fetched.uid, serverAt, snapshot: message } : { uid: fetched.uid, serverAt, message });
    }
    return out.sort((a, b) => a.uid - b.uid);
  }

  /** Appends this desktop's changes in the order they were made, then any presence. */
  private async flush(client: ImapFlow): Promise<void> {
    for (const entry of this.repo.toAppend(this.channel.id)) {
      if (this.stopped) return;
      if (entry.state === 'appending') {
        // The last attempt's answer was lost (crash, dropped connection): it may be there already.
        const found = await this.findByHeader(client, entry.event.id);
        if (found !== null) {
          this.repo.markAppended(entry.seq, found);
          continue;
        }
      }
      this.repo.markAppending(entry.seq);
      const result = await appendMessage(client, this.folder, await composeTeamMessage(entry.event, this.channel.supportAddress));
      if (!result) throw new Error(`The server refused to store a change in ${this.folder}`);
      this.opts.afterAppend?.(entry.event);
      const uid = result.uid ?? (await this.findByHeader(client, entry.event.id));
      this.repo.markAppended(entry.seq, uid);
    }
    const presence = this.presence.splice(0);
    for (const event of presence) await appendMessage(client, this.folder, await composeTeamMessage(event, this.channel.supportAddress));
  }

  private async findByHeader(client: ImapFlow, id: string): Promise<number | null> {
    const uids = await searchUids(client, { header: { [EVENT_HEADER]: id } });
    return uids.length > 0 ? Math.max(...uids) : null;
  }

  /**
   * Keeps the folder small: the state up to the last UID read goes into one snapshot message, then
   * the app's messages it covers are expunged. Never one it does not cover: other desktops may be
   * appending meanwhile, and theirs have higher UIDs.
   */
  private async maybeSnapshot(client: ImapFlow): Promise<void> {
    const cursor = this.repo.cursor(this.channel.id)!;
    if (cursor.sinceSnapshot < this.opts.snapshotEvery || cursor.lastUid === 0 || this.repo.waiting(this.channel.id) > 0) return;
    const snapshot: Snapshot = {
      v: 1,
      type: 'snapshot',
      id: randomUUID(),
      at: new Date().toISOString(),
      upTo: cursor.lastUid,
      uidValidity: cursor.uidValidity ?? '',
      seed: false,
      state: this.repo.loadAll(this.channel.id),
    };
    await appendMessage(client, this.folder, await composeTeamMessage(snapshot, this.channel.supportAddress));
    this.repo.saveCursor({ ...cursor, sinceSnapshot: 0 });
    const ours = await searchUids(client, { uid: `1:${cursor.lastUid}`, header: { [TEAM_HEADER]: '' } });
    const malformed = this.repo.malformed(this.channel.id, cursor.uidValidity ?? '');
    const covered = ours.filter((uid) => uid <= cursor.lastUid && !malformed.has(uid));
    if (covered.length > 0) await client.messageDelete(covered.join(','), { uid: true });
    this.opts.log?.info({ channelId: this.channel.id, upTo: cursor.lastUid, expunged: covered.length }, 'wrote a team snapshot');
  }

  private waitForWake(ms: number): Promise<'signal' | 'timer'> {
    if (this.signalled || this.stopped) return Promise.resolve('signal');
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wakeup = undefined;
        resolve('timer');
      }, ms);
      this.wakeup = () => {
        clearTimeout(timer);
        this.wakeup = undefined;
        resolve('signal');
      };
    });
  }

  private sleep(ms: number): Promise<void> {
    return this.waitForWake(ms).then(() => undefined);
  }
}
