import type { ChannelWithSecrets, MailboxWatchers } from '../channels/channel-service';
import { MailboxWatcher, type MailboxWatcherOptions, type WatcherStatus } from './watcher';

/**
 * One mailbox watcher per active channel. Editing a channel is the channel service's stop + start;
 * a start for a channel that is still watched replaces the old watcher once it has fully stopped,
 * so two sessions never import the same mailbox at once.
 */
export class WatcherSupervisor implements MailboxWatchers {
  private readonly watchers = new Map<string, MailboxWatcher>();
  /** Watchers being stopped, so a replacement waits for its predecessor's socket to close. */
  private readonly stopping = new Map<string, Promise<void>>();

  constructor(private readonly options: MailboxWatcherOptions) {}

  start(channel: ChannelWithSecrets, setStatus: (status: WatcherStatus) => void): void {
    const previous = this.watchers.get(channel.id);
    const watcher = new MailboxWatcher(channel, setStatus, this.options);
    this.watchers.set(channel.id, watcher);
    const before = previous ? this.stopWatcher(channel.id, previous) : this.stopping.get(channel.id);
    if (!before) {
      watcher.start();
      return;
    }
    // If this watcher was itself stopped while waiting, start() does nothing.
    void before.then(() => watcher.start());
  }

  async stop(channelId: string): Promise<void> {
    const watcher = this.watchers.get(channelId);
    if (watcher) {
      this.watchers.delete(channelId);
      await this.stopWatcher(channelId, watcher);
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

  private stopWatcher(channelId: string, watcher: MailboxWatcher): Promise<void> {
    const done = watcher.stop().finally(() => {
      if (this.stopping.get(channelId) === done) this.stopping.delete(channelId);
    });
    this.stopping.set(channelId, done);
    return done;
  }
}
