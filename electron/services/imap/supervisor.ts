import type { ChannelWithSecrets, MailboxWatchers } from '../channels/channel-service';
import type { MailboxRole } from '../store/sync-cursor';
import { MailboxWatcher, type MailboxWatcherOptions, type WatcherStatus } from './watcher';

const ROLES: readonly MailboxRole[] = ['inbox', 'sent'];

/**
 * Two mailbox watchers per active channel, each with its own IMAP session (a session can IDLE on
 * one mailbox only): the inbox, and the Sent folder, where replies sent by anyone on the team, from
 * Auxilium on another desktop or from any mail client, are found. Editing a channel is the channel
 * service's stop + start; a start for a channel that is still watched replaces the old watchers once
 * they have fully stopped, so two sessions never import the same mailbox at once.
 */
export class WatcherSupervisor implements MailboxWatchers {
  private readonly watchers = new Map<string, MailboxWatcher[]>();
  /** Watchers being stopped, so a replacement waits for its predecessor's sockets to close. */
  private readonly stopping = new Map<string, Promise<void>>();

  constructor(private readonly options: MailboxWatcherOptions) {}

  start(channel: ChannelWithSecrets, setStatus: (status: WatcherStatus) => void): void {
    const previous = this.watchers.get(channel.id);
    // The card shows the inbox session's state; the Sent folder's session adds a line of its own.
    let inbox: WatcherStatus = { state: 'starting', message: `Watching ${channel.imap.mailbox}` };
    let sent: WatcherStatus['sent'];
    const report = () => setStatus(sent ? { ...inbox, sent } : inbox);
    const watchers = ROLES.map(
      (role) =>
        new MailboxWatcher(
          channel,
          (status) => {
            if (role === 'inbox') inbox = status;
            else if (status.state === 'connected' || status.state === 'syncing') sent = { watched: true, message: status.message };
            else if (status.state === 'retrying' || status.state === 'error') sent = { watched: false, message: status.message };
            report();
          },
          this.options,
          role,
        ),
    );
    this.watchers.set(channel.id, watchers);
    const before = previous ? this.stopWatchers(channel.id, previous) : this.stopping.get(channel.id);
    const startAll = () => {
      for (const watcher of watchers) watcher.start();
    };
    if (!before) {
      startAll();
      return;
    }
    // If these watchers were themselves stopped while waiting, start() does nothing.
    void before.then(startAll);
  }

  async stop(channelId: string): Promise<void> {
    const watchers = this.watchers.get(channelId);
    if (watchers) {
      this.watchers.delete(channelId);
      await this.stopWatchers(channelId, watchers);
    } else {
      await this.stopping.get(channelId);
    }
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.watchers.keys()].map((id) => this.stop(id)));
  }

  /** Ids of the channels being watched. */
  active(): string[] {
    return [...this.watchers.keys()];
  }

  private stopWatchers(channelId: string, watchers: MailboxWatcher[]): Promise<void> {
    const done = Promise.all(watchers.map((w) => w.stop()))
      .then(() => undefined)
      .finally(() => {
        if (this.stopping.get(channelId) === done) this.stopping.delete(channelId);
      });
    this.stopping.set(channelId, done);
    return done;
  }
}
