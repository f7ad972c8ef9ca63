import { randomBytes, X509Certificate } from 'node:crypto';
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { ImapFlow } from 'imapflow';
import { defaultChannelForm, type InboxSettings } from '../../../shared/channel';
import { deliver, imapServers, restartDovecot, withImapSession, type MailStackInfo, type MailUser } from '../../../test/mailstack/mailstack';
import { MemoryIngestor } from '../../../test/support/memory-ingestor';
import { openSocketsTo } from '../../../test/support/sockets';
import type { ChannelWithSecrets } from '../channels/channel-service';
import { WatcherSupervisor } from './supervisor';
import { MailboxWatcher, type MailboxWatcherOptions, type WatcherStatus } from './watcher';

// Every test runs against the real Dovecot/Postfix of test/mailstack, and those about new mail,
// the initial import, UIDVALIDITY and \Seen also against its Cyrus. Tests that need a mailbox of
// their own create one with a random name, so earlier tests and other suites never get in the way.
const stack = inject('mailstack');
const trusted = { pem: stack.certPem, fingerprint256: new X509Certificate(stack.certPem).fingerprint256 };
const IMAP_PORT = stack.imap.implicitTls;

// Short backoff so recovery tests do not wait the production seconds.
const FAST: Partial<MailboxWatcherOptions> = { backoff: { baseMs: 100, capMs: 1_000, minMs: 50 } };

class StatusLog {
  readonly all: WatcherStatus[] = [];
  private readonly listeners = new Set<() => void>();
  readonly set = (status: WatcherStatus): void => {
    this.all.push(status);
    for (const l of this.listeners) l();
  };
  get last(): WatcherStatus | undefined {
    return this.all.at(-1);
  }
  /** Waits for a status (from now on, or the current one) that matches. */
  waitFor(match: (s: WatcherStatus) => boolean, timeoutMs = 20_000, fromIndex = 0): Promise<WatcherStatus> {
    const found = this.all.slice(fromIndex).find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners.delete(check);
        reject(new Error(`no matching status; saw: ${JSON.stringify(this.all.slice(-5))}`));
      }, timeoutMs);
      const check = (): void => {
        const last = this.last;
        if (!last || !match(last)) return;
        clearTimeout(timer);
        this.listeners.delete(check);
        resolve(last);
      };
      this.listeners.add(check);
    });
  }
}

const connected = (s: WatcherStatus) => s.state === 'connected';

const running: MailboxWatcher[] = [];
function watch(ch: ChannelWithSecrets, ingestor: MemoryIngestor, options: Partial<MailboxWatcherOptions> = {}) {
  const status = new StatusLog();
  const watcher = new MailboxWatcher(ch, status.set, { ingestor, ...FAST, ...options });
  running.push(watcher);
  watcher.start();
  return { watcher, status };
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((w) => w.stop()));
});

/** The helpers of these tests for one IMAP server of the stack and its users. */
function on(server: MailStackInfo) {
  const { support, customer } = server.users;

  function channel(o: { mailbox?: string; user?: MailUser; password?: string; inbox?: Partial<InboxSettings> } = {}): ChannelWithSecrets {
    const user = o.user ?? support;
    const form = defaultChannelForm();
    return {
      ...form,
      id: `ch-${randomBytes(4).toString('hex')}`,
      name: 'Support',
      supportAddress: user.address,
      imap: {
        host: server.host,
        port: server.imap.implicitTls,
        username: user.user,
        password: o.password ?? user.password,
        tls: true,
        tlsMode: 'implicit',
        trustedCertificate: trusted,
        mailbox: o.mailbox ?? 'INBOX',
      },
      smtp: { ...form.smtp, host: server.host, username: user.user, password: user.password, fromAddress: user.address },
      // The shortest poll the form allows is 10 s; tests rely on IDLE unless they say otherwise.
      inbox: { ...form.inbox, pollIntervalSeconds: 3600, initialImport: 'none', ...o.inbox },
    };
  }

  function message(subject: string, o: { messageId?: string; to?: string; body?: string } = {}): string {
    const id = o.messageId ?? `<${randomBytes(8).toString('hex')}@test.example>`;
    return [
      `From: Customer <${customer.address}>`,
      `To: ${o.to ?? support.address}`,
      `Subject: ${subject}`,
      `Message-ID: ${id}`,
      'Date: Thu, 26 Nov 2026 08:00:00 +0000',
      'Content-Type: text/plain; charset=utf-8',
      '',
      o.body ?? `Body of ${subject}`,
      '',
    ].join('\r\n');
  }

  /** A fresh mailbox of the support user, filled by direct APPEND (fast, and with chosen arrival dates). */
  async function makeMailbox(prefix: string, messages: { raw: string; date?: Date }[] = []): Promise<string> {
    const name = `${prefix}-${randomBytes(3).toString('hex')}`;
    // The server's full name of it: INBOX.<name> on Cyrus.
    return withSupport(async (c) => {
      const { path } = await c.mailboxCreate(name);
      for (const m of messages) await c.append(path, m.raw, [], m.date);
      return path;
    });
  }

  function withSupport<T>(fn: (c: ImapFlow) => Promise<T>): Promise<T> {
    return withImapSession(server, support, fn);
  }

  /** Every message's flags, by UID, read with EXAMINE so reading them changes nothing. */
  async function flagsOf(mailbox: string): Promise<Map<number, string[]>> {
    return withSupport(async (c) => {
      await c.mailboxOpen(mailbox, { readOnly: true });
      const out = new Map<number, string[]>();
      for await (const m of c.fetch('1:*', { uid: true, flags: true }, { uid: true })) out.set(m.uid, [...(m.flags ?? [])].sort());
      return out;
    });
  }

  return { support, customer, channel, message, makeMailbox, withSupport, flagsOf };
}

const { support, customer, channel, message, makeMailbox, withSupport, flagsOf } = on(stack);

describe.each(imapServers(stack))('MailboxWatcher on $server', (s) => {
  const { support, customer, channel, message, makeMailbox, withSupport, flagsOf } = on(s);

  it('imports mail sent through Postfix while idling, without waiting for a poll', async () => {
    const ingestor = new MemoryIngestor();
    const { status } = watch(channel(), ingestor);
    await status.waitFor(connected);
    expect(status.last).toEqual({ state: 'connected', message: 'Watching INBOX' });

    const subject = `idle ${randomBytes(4).toString('hex')}`;
    await deliver(s, { from: customer.address, to: support.address, subject, text: 'hello' });
    // The poll is an hour away, so only IDLE can have brought it in.
    await ingestor.waitFor((i) => i.subjects().includes(subject), 15_000, subject);
    const call = ingestor.calls.find((c) => c.move.advanceTo !== undefined);
    expect(call?.uids).toHaveLength(1);
    // 'none': what was in the INBOX before the channel started is not imported.
    expect(ingestor.messages).toHaveLength(1);
    await status.waitFor(connected, 5_000, status.all.length - 1);
  });

  it('imports the last 14 days on a new channel, newest first, and nothing older', async () => {
    const day = 24 * 60 * 60_000;
    const old = Array.from({ length: 5 }, (_, i) => ({ raw: message(`old ${i}`), date: new Date(Date.now() - 40 * day) }));
    const recent = Array.from({ length: 120 }, (_, i) => ({ raw: message(`recent ${i}`), date: new Date(Date.now() - 3 * day + i * 60_000) }));
    const mailbox = await makeMailbox('Initial', [...old, ...recent]);
    const ingestor = new MemoryIngestor();
    const ch = channel({ mailbox, inbox: { initialImport: '14-days' } });
    const { status } = watch(ch, ingestor);
    await ingestor.waitFor((i) => i.cursor(ch.id, mailbox)?.backfillBelowUid === null, 30_000, 'the end of the initial import');
    await status.waitFor(connected);

    expect(ingestor.subjects().sort()).toEqual(recent.map((_, i) => `recent ${i}`).sort());
    // The first batch holds the newest mail, so the first screen shows it.
    const firstBatch = ingestor.calls[0]!;
    expect(firstBatch.uids[0]).toBe(Math.max(...ingestor.messages.map((m) => m.uid)));
    expect(firstBatch.move.backfillBelow).toBeGreaterThan(0);
    expect(status.all.some((s) => s.state === 'syncing' && s.message === 'Importing 1 of 120')).toBe(true);
    const cursor = ingestor.cursor(ch.id, mailbox)!;
    expect(cursor.backfillSince).not.toBeNull();
  });

  it('resynchronises without duplicates when UIDVALIDITY changes (mailbox recreated)', async () => {
    const raws = Array.from({ length: 5 }, (_, i) => message(`keep ${i}`));
    const mailbox = await makeMailbox(
      'Recreate',
      raws.map((raw) => ({ raw })),
    );
    const ingestor = new MemoryIngestor();
    // A 1 s poll: whether Dovecot drops the session or not, the change is seen quickly.
    const ch = channel({ mailbox, inbox: { initialImport: 'all', pollIntervalSeconds: 1 } });
    const { status } = watch(ch, ingestor);
    await ingestor.waitFor((i) => i.messages.length === 5);
    const before = ingestor.cursor(ch.id, mailbox)!;

    await withSupport(async (c) => {
      await c.mailboxDelete(mailbox);
      await c.mailboxCreate(mailbox);
      for (const raw of raws) await c.append(mailbox, raw, []);
      await c.append(mailbox, message('new after recreate'), []);
    });
    await ingestor.waitFor((i) => i.subjects().includes('new after recreate'), 30_000, `the new message ${JSON.stringify(status.all)}`);
    await ingestor.waitFor((i) => i.cursor(ch.id, mailbox)?.backfillBelowUid === null, 30_000, 'the resync');
    const after = ingestor.cursor(ch.id, mailbox)!;
    expect(after.uidValidity).not.toBe(before.uidValidity);
    expect(ingestor.messages).toHaveLength(6);
    expect(ingestor.duplicates).toBe(5);
    await status.waitFor(connected);
  });

  it('marks imported mail as read only when the channel opts in', async () => {
    const mailbox = await makeMailbox('Seen', [{ raw: message('to be seen') }]);
    const ingestor = new MemoryIngestor();
    const ch = channel({ mailbox, inbox: { initialImport: 'all', markSeenOnServer: true } });
    const { status } = watch(ch, ingestor);
    await ingestor.waitFor((i) => i.messages.length === 1);
    await status.waitFor(connected);
    const flags = [...(await flagsOf(mailbox)).values()];
    expect(flags).toEqual([expect.arrayContaining(['\\Seen'])]);
  });
});

describe('MailboxWatcher against Dovecot', () => {
  it('imports 200 messages that arrived while it was stopped, each exactly once', async () => {
    const mailbox = await makeMailbox('Backlog');
    const ingestor = new MemoryIngestor();
    const ch = channel({ mailbox });
    const first = watch(ch, ingestor);
    await first.status.waitFor(connected);
    await first.watcher.stop();

    const subjects = Array.from({ length: 200 }, (_, i) => `backlog ${i}`);
    await withSupport(async (c) => {
      for (const s of subjects) await c.append(mailbox, message(s), []);
    });

    const second = watch(ch, ingestor);
    await ingestor.waitFor((i) => i.messages.length >= 200, 30_000, '200 messages');
    await second.status.waitFor(connected);
    expect(new Set(ingestor.subjects())).toEqual(new Set(subjects));
    expect(ingestor.messages).toHaveLength(200);
    expect(ingestor.duplicates).toBe(0);
    // Oldest first for new mail, in batches, the cursor moving with each batch.
    const uids = ingestor.messages.map((m) => m.uid);
    expect(uids).toEqual([...uids].sort((a, b) => a - b));
    expect(Math.max(...ingestor.calls.map((c) => c.uids.length))).toBeLessThanOrEqual(50);
    expect(ingestor.cursor(ch.id, mailbox)?.lastUid).toBe(Math.max(...uids));
    expect(second.status.all.some((s) => s.state === 'syncing' && /^Importing \d+ of 200$/.test(s.message))).toBe(true);

    // Reading changed nothing on the server: no \Seen, and \Recent still there for the next reader.
    const flags = await flagsOf(mailbox);
    expect(flags.size).toBe(200);
    for (const f of flags.values()) {
      expect(f).not.toContain('\\Seen');
      // EXAMINE leaves \Recent to the next session that selects the mailbox; SELECT would take it.
      expect(f).toContain('\\Recent');
    }
  });

  it('imports everything with "all", and resumes an interrupted initial import where it stopped', async () => {
    const mailbox = await makeMailbox(
      'All',
      Array.from({ length: 130 }, (_, i) => ({ raw: message(`all ${i}`) })),
    );
    const ingestor = new MemoryIngestor();
    const ch = channel({ mailbox, inbox: { initialImport: 'all' } });
    // Stop after the first batch, mid-import.
    let batches = 0;
    let stopped!: Promise<void>;
    const { watcher } = watch(ch, ingestor);
    ingestor.beforeIngest = () => {
      batches += 1;
      if (batches === 1) stopped = watcher.stop();
    };
    await ingestor.waitFor(() => batches >= 1);
    await stopped;
    const partial = ingestor.cursor(ch.id, mailbox)!;
    expect(ingestor.messages.length).toBeLessThan(130);
    expect(partial.backfillBelowUid).not.toBeNull();
    ingestor.beforeIngest = undefined;

    watch(ch, ingestor);
    await ingestor.waitFor((i) => i.cursor(ch.id, mailbox)?.backfillBelowUid === null, 30_000, 'the end of the import');
    expect(ingestor.messages).toHaveLength(130);
    expect(ingestor.duplicates).toBe(0);
  });

  it('recovers by itself when Dovecot restarts during IDLE', async () => {
    const ingestor = new MemoryIngestor();
    const { status } = watch(channel(), ingestor);
    await status.waitFor(connected);
    const mark = status.all.length;

    await restartDovecot(stack, { downMs: 300 });
    // The old session ends when Dovecot's orphaned imap process notices its master is gone, which
    // takes a few seconds; the watcher must then reconnect on its own.
    await status.waitFor((s) => s.state === 'retrying', 60_000, mark);
    const back = status.all.length;
    await status.waitFor(connected, 30_000, back);
    // Never an error state, never disabled: only the admin disables a channel.
    expect(status.all.every((s) => ['starting', 'connected', 'syncing', 'retrying'].includes(s.state))).toBe(true);

    const subject = `after restart ${randomBytes(4).toString('hex')}`;
    await deliver(stack, { from: customer.address, to: support.address, subject, text: 'still there?' });
    await ingestor.waitFor((i) => i.subjects().includes(subject), 20_000, subject);
    expect(openSocketsTo(IMAP_PORT)).toBe(1);
  }, 120_000);

  it('streams large messages instead of holding them in memory', async () => {
    const big = message('big one', { body: 'x'.repeat(76).concat('\r\n').repeat(4000) });
    const mailbox = await makeMailbox('Large', [{ raw: big }, { raw: message('small one') }]);
    const ingestor = new MemoryIngestor();
    const { status } = watch(channel({ mailbox, inbox: { initialImport: 'all' } }), ingestor, { largeMessageBytes: 100_000 });
    await ingestor.waitFor((i) => i.messages.length === 2);
    await status.waitFor(connected);
    const stored = ingestor.messages.find((m) => m.subject === 'big one')!;
    expect(stored.streamed).toBe(true);
    expect(stored.raw.equals(Buffer.from(big))).toBe(true);
    expect(ingestor.messages.find((m) => m.subject === 'small one')!.streamed).toBe(false);
  });

  it('shows "Authentication failed" and keeps retrying with a wrong password', async () => {
    const ingestor = new MemoryIngestor();
    const { status } = watch(channel({ password: 'not-the-password' }), ingestor);
    const first = await status.waitFor((s) => s.state === 'retrying');
    expect(first.message).toMatch(/^Authentication failed — retrying in \d+ s$/);
    // Still retrying after several attempts; never an error state, never disabled.
    await expect.poll(() => status.all.filter((s) => s.state === 'retrying').length, { timeout: 10_000 }).toBeGreaterThan(1);
    expect(status.all.every((s) => s.state === 'starting' || s.state === 'retrying')).toBe(true);
    expect(ingestor.calls).toHaveLength(0);
  });

  it('reports a refused port, a silent server and a missing mailbox as retrying, with the mapped message', async () => {
    const refused = watch({ ...channel(), imap: { ...channel().imap, port: stack.closed } }, new MemoryIngestor());
    const silent = watch({ ...channel(), imap: { ...channel().imap, port: stack.silent } }, new MemoryIngestor(), { connectTimeoutMs: 500 });
    const missing = watch(channel({ mailbox: 'Does-Not-Exist' }), new MemoryIngestor());
    const retrying = (s: WatcherStatus) => s.state === 'retrying';
    expect((await refused.status.waitFor(retrying)).message).toMatch(new RegExp(`^Connection refused on port ${stack.closed} — retrying in \\d+ s$`));
    expect((await silent.status.waitFor(retrying)).message).toMatch(/^Connection timeout: .* — retrying in \d+ s$/);
    expect((await missing.status.waitFor(retrying)).message).toMatch(/^Mailbox "Does-Not-Exist" does not exist — retrying in \d+ s$/);
    await Promise.all([refused.watcher.stop(), silent.watcher.stop(), missing.watcher.stop()]);
    expect(openSocketsTo(stack.silent) + openSocketsTo(IMAP_PORT)).toBe(0);
  });

  it('says when imported mail could not be stored on this computer, not blaming the server, and keeps retrying', async () => {
    const mailbox = await makeMailbox('store-fails', [{ raw: message('Kept on the server') }]);
    const ingestor = new MemoryIngestor();
    ingestor.beforeIngest = () => {
      throw new Error('database or disk is full');
    };
    const { status } = watch(channel({ mailbox, inbox: { initialImport: 'all' } }), ingestor);
    const retrying = await status.waitFor((s) => s.state === 'retrying');
    expect(retrying.message).toMatch(/^Could not store imported mail: database or disk is full — retrying in \d+ s$/);
    expect(ingestor.messages).toHaveLength(0);
  });

  it('backs off exponentially up to the cap between failed attempts', async () => {
    // Real timers, recorded: the backoff waits are the short ones (deadlines are tens of seconds).
    const waits: number[] = [];
    const timers = {
      setTimeout: (fn: () => void, ms: number) => {
        waits.push(ms);
        return setTimeout(fn, ms);
      },
      clearTimeout: (h: unknown) => clearTimeout(h as NodeJS.Timeout),
    };
    const { status } = watch(channel({ password: 'not-the-password' }), new MemoryIngestor(), {
      timers,
      random: () => 1,
      backoff: { baseMs: 50, capMs: 400, minMs: 0 },
    });
    await status.waitFor(() => status.all.filter((s) => s.state === 'retrying').length >= 6);
    expect(waits.filter((ms) => ms <= 400).slice(0, 6)).toEqual([50, 100, 200, 400, 400, 400]);
  });

  it('stop() closes the socket: when connected, while connecting, during a sync, and twice', async () => {
    expect(openSocketsTo(IMAP_PORT)).toBe(0);
    const ingestor = new MemoryIngestor();
    const a = watch(channel(), ingestor);
    await a.status.waitFor(connected);
    expect(openSocketsTo(IMAP_PORT)).toBe(1);
    await a.watcher.stop();
    expect(openSocketsTo(IMAP_PORT)).toBe(0);
    await a.watcher.stop();

    const b = watch(channel(), new MemoryIngestor());
    await b.watcher.stop();
    expect(openSocketsTo(IMAP_PORT)).toBe(0);
    expect(b.status.all.some(connected)).toBe(false);

    const mailbox = await makeMailbox(
      'Busy',
      Array.from({ length: 120 }, (_, i) => ({ raw: message(`busy ${i}`) })),
    );
    const slow = new MemoryIngestor();
    let release!: () => void;
    const inIngest = new Promise<void>((resolve) => {
      slow.beforeIngest = () => {
        resolve();
        return new Promise<void>((r) => (release = r));
      };
    });
    const c = watch(channel({ mailbox, inbox: { initialImport: 'all' } }), slow);
    await inIngest;
    const stopping = c.watcher.stop();
    release();
    slow.beforeIngest = undefined;
    await stopping;
    expect(openSocketsTo(IMAP_PORT)).toBe(0);
    const calls = slow.calls.length;
    await new Promise((r) => setTimeout(r, 300));
    expect(slow.calls.length).toBe(calls);
  });
});

describe('WatcherSupervisor', () => {
  it('runs an inbox and a Sent folder watcher per channel, replaces them on restart, and stops them cleanly', async () => {
    const ingestor = new MemoryIngestor();
    const supervisor = new WatcherSupervisor({ ingestor, ...FAST });
    const ch = channel();
    const status = new StatusLog();
    // Both sessions are up: the inbox's state, and the Sent folder's line.
    const both = (s: WatcherStatus) => connected(s) && s.sent?.watched === true && s.sent.message === 'Watching Sent';
    supervisor.start(ch, status.set);
    await status.waitFor(both);
    // What the channel service does on an edit: stop, then start with the new settings.
    const mark = status.all.length;
    await supervisor.stop(ch.id);
    supervisor.start(ch, status.set);
    await status.waitFor(both, 20_000, mark);
    // A start for a channel that is still watched replaces the old session rather than adding one.
    supervisor.start(ch, status.set);
    await status.waitFor(both, 20_000, status.all.length);
    expect(supervisor.active()).toEqual([ch.id]);
    expect(openSocketsTo(IMAP_PORT)).toBe(2);
    await supervisor.stopAll();
    expect(openSocketsTo(IMAP_PORT)).toBe(0);
    expect(supervisor.active()).toEqual([]);
  });
});
