import { X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { defaultChannelForm, type Channel, type ChannelForm } from '../../../shared/channel';
import type { ConversationSummary, Message } from '../../../shared/conversation';
import type { AuthForm } from '../../../shared/oauth';
import { createCore, type Core, type CoreConfig } from '../../core/create-core';
import { deliver } from '../../../test/mailstack/mailstack';
import { appOnlyClient, endAccessToken, nativeAppClient, registerClient, revokeAccount } from '../../../test/mailstack/oauth-clients';
import { cleanupsAfterAll } from '../../../test/support/cleanups';
import { call, marker, waitFor } from '../../../test/support/core';
import { signInOverHttp } from '../../../test/support/oauth-browser';
import { tempDir, testKeychainService } from '../../../test/support/temp';
import { KeychainCredentialStore, oauthCredentialAccount } from '../credentials/credential-store';

// OAuth 2.0 end to end under Node: the core signs in at the mail stack's authorization server
// (oidc-provider) through its loopback listener, and Dovecot/Postfix accept the OAuth mailbox only
// with tokens that server vouches for. The "other provider" path with discovery is the one tested;
// Microsoft 365 and Google differ only in fixed endpoints and scopes (shared/oauth.ts).
const stack = inject('mailstack');
const { customer } = stack.users;
const address = stack.oauth.address;
const onCleanup = cleanupsAfterAll();
const OUTBOX: CoreConfig['outbox'] = { backoff: { baseMs: 400, capMs: 1_500, minMs: 200 }, timeoutMs: 5_000 };

function oauthForm(auth: Partial<AuthForm>): ChannelForm {
  const base = defaultChannelForm();
  const trustedCertificate = { pem: stack.certPem, fingerprint256: new X509Certificate(stack.certPem).fingerprint256 };
  const server = { host: stack.host, username: address, password: '', tls: true, tlsMode: 'implicit' as const, trustedCertificate };
  return {
    ...base,
    name: 'OAuth support',
    imap: { ...base.imap, ...server, port: stack.imap.implicitTls },
    smtp: { ...base.smtp, ...server, port: stack.smtp.implicitTls, fromAddress: address },
    supportAddress: address,
    inbox: { ...base.inbox, initialImport: 'none' },
    auth: { ...base.auth, method: 'oauth2', provider: 'oidc', issuer: stack.oauth.issuer, scope: 'openid offline_access mail', ...auth },
  };
}

async function startCore(): Promise<{ core: Core; dataDir: string; keychain: KeychainCredentialStore }> {
  const dir = tempDir('auxilium-oauth-');
  onCleanup(dir.remove);
  const keychainService = testKeychainService();
  const core = createCore({ dataDir: dir.path, version: '0.0.0-test', keychainService, outbox: OUTBOX });
  onCleanup(() => core.stop());
  await core.start();
  return { core, dataDir: dir.path, keychain: new KeychainCredentialStore(keychainService) };
}

/** Start sign-in in the core, play the browser over HTTP, finish. Returns the signInId. */
async function signIn(core: Core, input: { auth?: AuthForm; channelId?: string }): Promise<string> {
  const started = await call(core, 'oauth:start-sign-in', input);
  const finished = call(core, 'oauth:finish-sign-in', { signInId: started.signInId, channelId: input.channelId });
  const browser = await signInOverHttp(started.authorizationUrl, stack.oauth.user);
  expect(browser.text).toContain('Signed in');
  await finished;
  return started.signInId;
}

async function channelState(core: Core, id: string): Promise<Channel['status']> {
  const channel = (await call(core, 'channels:list', {})).find((c) => c.id === id);
  if (!channel) throw new Error('channel gone');
  return channel.status;
}

async function conversationFor(core: Core, channelId: string, mark: string): Promise<ConversationSummary> {
  return waitFor(`a conversation for ${mark}`, async () => {
    const page = await call(core, 'conversations:list', { view: 'all', channelId, limit: 500 });
    return page.items.find((c) => c.subject.includes(mark));
  });
}

async function reply(core: Core, conversationId: number, text: string): Promise<Message> {
  return call(core, 'conversations:send-reply', { id: conversationId, mode: 'reply', text, undoSeconds: 0 });
}

async function deliveryOf(core: Core, conversationId: number, messageId: number, test: (m: Message) => boolean, what: string): Promise<Message> {
  let last: Message | undefined;
  return waitFor(what, async () => {
    const detail = await call(core, 'conversations:get', { id: conversationId });
    last = detail.messages.find((m) => m.id === messageId);
    return last && test(last) ? last : undefined;
  }).catch((err: Error) => {
    throw new Error(`${err.message}; the reply's delivery: ${JSON.stringify(last?.delivery)}`);
  });
}

/** Every file under `dir`, as text, to search for secrets. */
function everyFile(dir: string): { path: string; text: string }[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile())
    .map((path) => ({ path, text: readFileSync(path).toString('latin1') }));
}

describe('OAuth 2.0 sign-in against a real authorization server', () => {
  it('signs in with authorization code + PKCE through a loopback listener, then imports mail and sends a reply with XOAUTH2, keeping tokens out of the data folder', async () => {
    const { core, dataDir, keychain } = await startCore();
    const client = await registerClient(stack.oauth, nativeAppClient());
    const form = oauthForm({ clientId: client.clientId });

    const started = await call(core, 'oauth:start-sign-in', { auth: form.auth });
    const url = new URL(started.authorizationUrl);
    expect(url.origin + url.pathname).toBe(`${stack.oauth.issuer}/auth`);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const redirect = new URL(url.searchParams.get('redirect_uri') ?? '');
    expect(redirect.hostname).toBe('127.0.0.1');
    expect(Number(redirect.port)).toBeGreaterThan(0);
    expect(started.openedInBrowser).toBe(false); // no system browser under Node: the caller opens it

    // A request to the listener without this sign-in's state changes nothing.
    const forged = await fetch(`${redirect.origin}/?code=forged&state=wrong`);
    expect(forged.status).toBe(400);

    const finished = call(core, 'oauth:finish-sign-in', { signInId: started.signInId });
    expect((await signInOverHttp(started.authorizationUrl, stack.oauth.user)).text).toContain('Signed in');
    await finished;

    const tested = await call(core, 'channels:test-connection', { values: { ...form, auth: { ...form.auth, signInId: started.signInId } } });
    expect(tested.imap, JSON.stringify(tested.imap)).toMatchObject({ ok: true });
    expect(tested.smtp, JSON.stringify(tested.smtp)).toMatchObject({ ok: true });

    const channel = await call(core, 'channels:create', { ...form, auth: { ...form.auth, signInId: started.signInId } });
    onCleanup(async () => void (await core.router.handle('channels:delete', { id: channel.id })));
    expect(channel.auth).toMatchObject({ method: 'oauth2', provider: 'oidc', clientId: client.clientId });
    await waitFor('the channel to connect', async () => ((await channelState(core, channel.id)).state === 'connected' ? true : undefined));

    const mark = marker();
    await deliver(stack, { from: customer.address, to: address, subject: `Help ${mark}`, text: 'Please help.' });
    const conversation = await conversationFor(core, channel.id, mark);
    const sent = await reply(core, conversation.id, `On it ${mark}`);
    await deliveryOf(core, conversation.id, sent.id, (m) => m.delivery?.state === 'sent', 'the reply to be sent');

    const refreshToken = await keychain.get(oauthCredentialAccount(channel.id, 'refresh-token'));
    expect(refreshToken).toBeTruthy();
    const accessToken = await (await core.channels.withSecrets(channel.id)).imap.tokens!.get();
    for (const file of everyFile(dataDir)) {
      expect(file.text.includes(refreshToken!), `refresh token in ${file.path}`).toBe(false);
      expect(file.text.includes(accessToken), `access token in ${file.path}`).toBe(false);
    }
  });

  it('keeps working across access token expiry: renews ahead of expiry, and once more when a server refuses a token', async () => {
    const { core } = await startCore();
    const client = await registerClient(stack.oauth, nativeAppClient({ accessTokenLifetime: 8 }));
    const form = oauthForm({ clientId: client.clientId });
    const signInId = await signIn(core, { auth: form.auth });
    const channel = await call(core, 'channels:create', { ...form, auth: { ...form.auth, signInId } });
    onCleanup(async () => void (await core.router.handle('channels:delete', { id: channel.id })));
    await waitFor('the channel to connect', async () => ((await channelState(core, channel.id)).state === 'connected' ? true : undefined));
    const tokens = (await core.channels.withSecrets(channel.id)).imap.tokens!;

    // Ahead of expiry: the source hands out a new token while the first is still active.
    const first = await tokens.get();
    const second = await waitFor(
      'a renewed token',
      async () => {
        const t = await tokens.get();
        return t !== first ? t : undefined;
      },
      20_000,
    );
    const introspect = async (token: string): Promise<boolean> => {
      const { clientId, clientSecret } = stack.oauth.introspectionClient;
      const res = await fetch(`${stack.oauth.issuer}/token/introspection`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}` },
        body: new URLSearchParams({ token }),
      });
      return ((await res.json()) as { active: boolean }).active;
    };
    expect(await introspect(first)).toBe(true);

    // The IDLE session that logged in with the first token still imports after that token expired.
    await waitFor('the first token to expire', async () => ((await introspect(first)) ? undefined : true), 20_000);
    const mark = marker();
    await deliver(stack, { from: customer.address, to: address, subject: `After expiry ${mark}`, text: 'Still there?' });
    const conversation = await conversationFor(core, channel.id, mark);

    // A token the server refuses before its time is replaced at once; the reply goes out.
    const current = await tokens.get();
    await endAccessToken(stack.oauth, current);
    expect(await introspect(current)).toBe(false);
    const sent = await reply(core, conversation.id, `Yes ${mark}`);
    const done = await deliveryOf(core, conversation.id, sent.id, (m) => m.delivery?.state === 'sent', 'the reply to be sent');
    expect(done.delivery?.attempts).toBe(1);
    expect(await tokens.get()).not.toBe(current);
    expect(second).not.toBe(first);
  });

  it('when consent is withdrawn: the card says "sign in again", replies wait in the outbox, imported mail stays; signing in again sends them', async () => {
    const { core } = await startCore();
    const client = await registerClient(stack.oauth, nativeAppClient());
    const form = oauthForm({ clientId: client.clientId });
    const signInId = await signIn(core, { auth: form.auth });
    const channel = await call(core, 'channels:create', { ...form, auth: { ...form.auth, signInId } });
    onCleanup(async () => void (await core.router.handle('channels:delete', { id: channel.id })));
    await waitFor('the channel to connect', async () => ((await channelState(core, channel.id)).state === 'connected' ? true : undefined));
    const mark = marker();
    await deliver(stack, { from: customer.address, to: address, subject: `Revoked ${mark}`, text: 'Hello?' });
    const conversation = await conversationFor(core, channel.id, mark);

    expect(await revokeAccount(stack.oauth, address)).toBeGreaterThan(0);
    const held = await reply(core, conversation.id, `Held ${mark}`);
    const waiting = await deliveryOf(
      core,
      conversation.id,
      held.id,
      (m) => m.delivery?.error?.code === 'OAUTH_SIGN_IN_EXPIRED',
      'the reply to wait for a sign-in',
    );
    expect(waiting.delivery?.state).toBe('queued');
    const status = await waitFor('the card to ask for a new sign-in', async () => {
      const s = await channelState(core, channel.id);
      return s.state === 'sign-in-required' ? s : undefined;
    });
    expect(status.message).toMatch(/Sign-in is no longer valid/);
    expect((await call(core, 'conversations:get', { id: conversation.id })).messages.length).toBeGreaterThan(0);

    await signIn(core, { channelId: channel.id });
    await deliveryOf(core, conversation.id, held.id, (m) => m.delivery?.state === 'sent', 'the held reply to be sent');
    await waitFor('the channel to connect again', async () => ((await channelState(core, channel.id)).state === 'connected' ? true : undefined));
  });

  it('app-only access (client credentials) for a shared mailbox; a wrong client secret or client ID is a clear error', async () => {
    const { core, dataDir, keychain } = await startCore();
    const client = await registerClient(stack.oauth, appOnlyClient(address));
    const form = oauthForm({ flow: 'app-only', scope: '', clientId: client.clientId, clientSecret: client.clientSecret ?? '' });

    const wrongSecret = await call(core, 'channels:test-connection', { values: { ...form, auth: { ...form.auth, clientSecret: 'not-the-secret' } } });
    expect(wrongSecret.imap).toMatchObject({ ok: false, error: { code: 'OAUTH_CLIENT_INVALID', message: 'The client ID or client secret was refused' } });
    expect(wrongSecret.smtp).toMatchObject({ ok: false, error: { code: 'OAUTH_CLIENT_INVALID' } });
    const wrongId = await call(core, 'channels:test-connection', { values: { ...form, auth: { ...form.auth, clientId: 'no-such-client' } } });
    expect(wrongId.imap).toMatchObject({ ok: false, error: { code: 'OAUTH_CLIENT_INVALID' } });

    const tested = await call(core, 'channels:test-connection', { values: form });
    expect(tested.imap, JSON.stringify(tested.imap)).toMatchObject({ ok: true });
    expect(tested.smtp, JSON.stringify(tested.smtp)).toMatchObject({ ok: true });

    const channel = await call(core, 'channels:create', form);
    onCleanup(async () => void (await core.router.handle('channels:delete', { id: channel.id })));
    await waitFor('the channel to connect', async () => ((await channelState(core, channel.id)).state === 'connected' ? true : undefined));
    // Editing with the secret left blank keeps the stored one.
    await call(core, 'channels:update', { id: channel.id, values: { ...form, name: 'Shared mailbox', auth: { ...form.auth, clientSecret: '' } } });
    await waitFor('the edited channel to connect', async () => ((await channelState(core, channel.id)).state === 'connected' ? true : undefined));

    expect(await keychain.get(oauthCredentialAccount(channel.id, 'client-secret'))).toBe(client.clientSecret);
    for (const file of everyFile(dataDir)) expect(file.text.includes(client.clientSecret!), `client secret in ${file.path}`).toBe(false);
  });
});
