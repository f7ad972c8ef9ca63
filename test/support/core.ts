import { randomBytes, X509Certificate } from 'node:crypto';
import { defaultChannelForm, type ChannelForm, type InboxSettings } from '../../shared/channel';
import { createCore, type Core } from '../../electron/core/create-core';
import type { Channel } from '../../shared/channel';
import type { ChannelName, Input, Output } from '../../shared/contract';
import type { MailStackInfo, MailUser } from '../mailstack/mailstack';
import { testKeychainService } from './temp';

/** Helpers for tests and benchmarks that drive a real core against the test mail stack. */

/**
 * A channel for a mail-stack user over implicit TLS, trusting the stack's self-signed certificate.
 * Each gets a team folder of its own unless `inbox` names one: test files share the stack's
 * mailboxes, and one file's notes, statuses and agents must not reach another file's desktops.
 */
export function channelFor(stack: MailStackInfo, user: MailUser, inbox: Partial<InboxSettings> = {}): ChannelForm {
  const base = defaultChannelForm();
  const trustedCertificate = { pem: stack.certPem, fingerprint256: new X509Certificate(stack.certPem).fingerprint256 };
  const server = { host: stack.host, username: user.user, password: user.password, tls: true, tlsMode: 'implicit' as const, trustedCertificate };
  return {
    ...base,
    name: `Channel ${user.address}`,
    imap: { ...base.imap, ...server, port: stack.imap.implicitTls },
    smtp: { ...base.smtp, ...server, port: stack.smtp.implicitTls, fromAddress: user.address },
    supportAddress: user.address,
    inbox: { ...base.inbox, teamFolder: `Auxilium Team ${marker()}`, ...inbox },
  };
}

/** A router call by its contract name, that must succeed; its error, when it fails, is the test failure. */
export async function call<K extends ChannelName>(core: Core, channel: K, input: Input<K>): Promise<Output<K>> {
  const result = await core.router.handle(channel, input);
  if (!result.ok) throw new Error(`${channel} failed: ${JSON.stringify(result.error)}`);
  // The router parsed the value with this channel's output schema.
  return result.value as Output<K>;
}

/** Polls until `probe` returns something other than undefined. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A word no other mail in the stack contains, to find this test's mail by. */
export const marker = () => `m${randomBytes(5).toString('hex')}`;

/**
 * A started core on `dataDir` with a channel for `user` that imports no old mail, once its watcher
 * is connected. Stopping the core and deleting the channel are handed to `onCleanup`.
 */
export async function coreWithStackChannel(
  stack: MailStackInfo,
  user: MailUser,
  dataDir: string,
  onCleanup: (cleanup: () => Promise<void> | void) => void,
): Promise<{ core: Core; channel: Channel }> {
  const core = createCore({ dataDir, version: '0.0.0-test', keychainService: testKeychainService() });
  onCleanup(() => core.stop());
  await core.start();
  const channel = await call(core, 'channels:create', channelFor(stack, user, { initialImport: 'none' }));
  onCleanup(async () => void (await core.router.handle('channels:delete', { id: channel.id })));
  await waitFor('the channel to connect', async () =>
    (await call(core, 'channels:list', {})).find((c) => c.id === channel.id)?.status.state === 'connected' ? true : undefined,
  );
  return { core, channel };
}
