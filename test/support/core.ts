import { randomBytes, X509Certificate } from 'node:crypto';
import { defaultChannelForm, type ChannelForm, type InboxSettings } from '../../shared/channel';
import type { Core } from '../../electron/core/create-core';
import type { ChannelName, Input, Output } from '../../shared/contract';
import type { MailStackInfo, MailUser } from '../mailstack/mailstack';

/** Helpers for tests and benchmarks that drive a real core against the test mail stack. */

/** A channel for a mail-stack user over implicit TLS, trusting the stack's self-signed certificate. */
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
    inbox: { ...base.inbox, ...inbox },
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
