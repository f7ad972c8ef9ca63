import { X509Certificate } from 'node:crypto';
import { defaultChannelForm, type ChannelForm, type InboxSettings } from '../shared/channel';
import type { EventName, EventPayload } from '../shared/contract';
import { createCore, type Core } from '../electron/core/create-core';
import type { MailStackInfo, MailUser } from '../test/mailstack/mailstack';

/** A channel for a mail-stack user over implicit TLS, trusting the stack's self-signed certificate. */
export function channelFor(stack: MailStackInfo, user: MailUser, inbox: Partial<InboxSettings> = {}): ChannelForm {
  const base = defaultChannelForm();
  const trustedCertificate = { pem: stack.certPem, fingerprint256: new X509Certificate(stack.certPem).fingerprint256 };
  const server = { host: stack.host, username: user.user, password: user.password, tls: true, tlsMode: 'implicit' as const, trustedCertificate };
  return {
    ...base,
    name: `Bench ${user.address}`,
    imap: { ...base.imap, ...server, port: stack.imap.implicitTls },
    smtp: { ...base.smtp, ...server, port: stack.smtp.implicitTls, fromAddress: user.address },
    supportAddress: user.address,
    inbox: { ...base.inbox, ...inbox },
  };
}

export async function call<T>(core: Core, channel: string, input: unknown): Promise<T> {
  const result = await core.router.handle(channel, input);
  if (!result.ok) throw new Error(`${channel}: ${result.error.message}`);
  return result.value as T;
}

export function startCore(dataDir: string): Core {
  return createCore({ dataDir, version: 'bench', keychainService: `auxilium-bench-${process.pid}` });
}

/** Resolves with the first event payload that satisfies the test. */
export function nextEvent<E extends EventName>(core: Core, event: E, test: (payload: EventPayload<E>) => boolean, timeoutMs = 60_000): Promise<EventPayload<E>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no ${event} within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = core.events.on(event, (payload) => {
      if (!test(payload)) return;
      clearTimeout(timer);
      off();
      resolve(payload);
    });
  });
}

export async function waitUntil(condition: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
