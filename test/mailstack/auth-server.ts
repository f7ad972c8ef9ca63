// A real OAuth 2.0 / OpenID Connect authorization server (oidc-provider) on loopback, for the mail
// stack's OAuth user: Dovecot asks it whether an access token is valid (introspection), the app
// signs in against it like against Microsoft or Google. Everything is kept in memory and belongs
// to one run.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type net from 'node:net';
import Provider, { type Adapter, type AdapterPayload, type ClientMetadata } from 'oidc-provider';

export interface OAuthUser {
  /** What the login page asks for; also the token's subject and the mailbox the token opens. */
  login: string;
  password: string;
}

export interface AuthServerInfo {
  /** The issuer; `${issuer}/.well-known/openid-configuration` describes every endpoint. */
  issuer: string;
  /** Registers clients (RFC 7591): POST JSON client metadata, get back client_id (and client_secret). */
  registrationEndpoint: string;
  user: OAuthUser;
  /** The client Dovecot authenticates as to introspect tokens. */
  introspectionClient: { clientId: string; clientSecret: string };
}

export interface AuthServer extends AuthServerInfo {
  stop(): Promise<void>;
}

/**
 * Client metadata the tests may add when registering:
 * - `access_token_lifetime` (seconds): short lifetimes let tests see tokens expire and be refreshed;
 * - `mailbox`: the mailbox an app-only (client credentials) client was granted, as an Exchange admin
 *   grants a service principal one mailbox.
 */
const EXTRA_CLIENT_METADATA = ['access_token_lifetime', 'mailbox'];
const DEFAULT_ACCESS_TOKEN_SECONDS = 3600;
const HOST = '127.0.0.1';

/**
 * oidc-provider's adapter interface over plain Maps, so that withdrawing an account's consent
 * (revokeAccount) can find every grant of that account. The library's own memory adapter cannot
 * list what it holds.
 */
class MemoryStore {
  readonly models = new Map<string, Map<string, { payload: AdapterPayload; expiresAt: number | undefined }>>();

  adapter = (model: string): Adapter => {
    const items = new Map<string, { payload: AdapterPayload; expiresAt: number | undefined }>();
    this.models.set(model, items);
    const live = (id: string): AdapterPayload | undefined => {
      const item = items.get(id);
      if (!item) return undefined;
      if (item.expiresAt !== undefined && item.expiresAt < Date.now()) {
        items.delete(id);
        return undefined;
      }
      return item.payload;
    };
    return {
      async upsert(id, payload, expiresIn) {
        items.set(id, { payload, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : undefined });
      },
      async find(id) {
        return live(id);
      },
      async findByUserCode(userCode) {
        return [...items.keys()].map(live).find((p) => p?.userCode === userCode);
      },
      async findByUid(uid) {
        return [...items.keys()].map(live).find((p) => p?.uid === uid);
      },
      async consume(id) {
        const payload = live(id);
        if (payload) payload.consumed = Math.floor(Date.now() / 1000);
      },
      async destroy(id) {
        items.delete(id);
      },
      // Called once per model: only this model's entries go (the grant itself is the provider's decision).
      async revokeByGrantId(grantId) {
        for (const [id, item] of items) if (item.payload.grantId === grantId) items.delete(id);
      },
    };
  };

  private revokeGrant(grantId: string): void {
    for (const items of this.models.values()) {
      for (const [id, item] of items) if (item.payload.grantId === grantId) items.delete(id);
    }
    this.models.get('Grant')?.delete(grantId);
  }

  /** Withdraws every consent the account gave: its grants and all tokens issued under them. */
  revokeAccount(accountId: string): number {
    const grants = [...(this.models.get('Grant') ?? new Map()).entries()].filter(([, item]) => item.payload.accountId === accountId);
    for (const [grantId] of grants) this.revokeGrant(grantId);
    return grants.length;
  }
}

export async function startAuthServer(opts: { port: number; mailboxAddress: string }): Promise<AuthServer> {
  const issuer = `http://${HOST}:${opts.port}`;
  const user: OAuthUser = { login: opts.mailboxAddress, password: randomBytes(9).toString('hex') };
  const introspectionClient = { clientId: 'dovecot', clientSecret: randomBytes(16).toString('hex') };
  const store = new MemoryStore();
  const metadataOf = (client: unknown): Record<string, unknown> => (client as { metadata(): Record<string, unknown> } | undefined)?.metadata() ?? {};

  const provider: Provider = new Provider(issuer, {
    adapter: store.adapter,
    clients: [
      {
        client_id: introspectionClient.clientId,
        client_secret: introspectionClient.clientSecret,
        grant_types: [],
        response_types: [],
        redirect_uris: [],
      } satisfies ClientMetadata,
    ],
    async findAccount(_ctx, id) {
      return { accountId: id, claims: () => ({ sub: id, email: id }) };
    },
    // The scope a mail client asks for; like Google's https://mail.google.com/ it grants mail access.
    scopes: ['openid', 'offline_access', 'email', 'mail'],
    claims: { openid: ['sub'], email: ['email'] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    extraClientMetadata: { properties: EXTRA_CLIENT_METADATA },
    // Dovecot finds the mailbox in the introspection answer (username_attribute = mailbox).
    async extraTokenClaims(_ctx, token): Promise<{ mailbox: string } | undefined> {
      const mailbox: unknown = token.kind === 'ClientCredentials' ? metadataOf(await provider.Client.find(token.clientId ?? ''))['mailbox'] : token.accountId;
      return typeof mailbox === 'string' ? { mailbox } : undefined;
    },
    ttl: {
      AccessToken: (_ctx, _token, client) => accessTokenSeconds(metadataOf(client)),
      ClientCredentials: (_ctx, _token, client) => accessTokenSeconds(metadataOf(client)),
      AuthorizationCode: 60,
      RefreshToken: 24 * 3600,
      Grant: 24 * 3600,
      Interaction: 600,
      Session: 3600,
      IdToken: 3600,
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      // Only Dovecot asks about tokens; a client may revoke only its own.
      introspection: { enabled: true, allowedPolicy: async (_ctx, client) => client.clientId === introspectionClient.clientId },
      revocation: { enabled: true, allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId },
      registration: { enabled: true },
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    // Native apps (RFC 8252) and Google-style desktop clients get a refresh token with offline_access.
    async issueRefreshToken(_ctx, client, code) {
      return client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access');
    },
  });

  const interactions = async (req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> => {
    const [, , uid = '', action] = url.pathname.split('/');
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== uid) throw new Error('interaction mismatch');
    if (req.method === 'GET') {
      const page =
        details.prompt.name === 'login' ? loginPage(uid) : consentPage(uid, String(details.params['client_id']), String(details.params['scope'] ?? ''));
      return send(res, 200, page);
    }
    const form = new URLSearchParams(await body(req));
    if (action === 'login') {
      if (form.get('login') !== user.login || form.get('password') !== user.password) {
        return send(res, 200, loginPage(uid, 'Wrong email address or password.'));
      }
      await provider.interactionFinished(req, res, { login: { accountId: user.login } }, { mergeWithLastSubmission: false });
      return;
    }
    if (action === 'consent') {
      const accountId = details.session?.accountId;
      const clientId = String(details.params['client_id']);
      const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] };
      const grant = details.grantId ? await provider.Grant.find(details.grantId) : new provider.Grant({ accountId, clientId });
      if (!grant) throw new Error('grant gone');
      if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
      if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
      const grantId = await grant.save();
      await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
      return;
    }
    send(res, 404, 'not found');
  };

  const callback = provider.callback();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', issuer);
    const handle = async (): Promise<void> => {
      if (url.pathname.startsWith('/interaction/')) return interactions(req, res, url);
      // The provider's side of "the user removed the app's access" (or an admin revoked it).
      if (url.pathname === '/test/revoke-account' && req.method === 'POST') {
        const account = new URLSearchParams(await body(req)).get('account') ?? '';
        return send(res, 200, JSON.stringify({ revokedGrants: store.revokeAccount(account) }), 'application/json');
      }
      // An access token that stops working before its time, as when a provider revokes it on its
      // own; unlike RFC 7009 revocation here, the refresh token stays valid.
      if (url.pathname === '/test/end-access-token' && req.method === 'POST') {
        const token = new URLSearchParams(await body(req)).get('token') ?? '';
        return send(res, 200, JSON.stringify({ ended: store.models.get('AccessToken')?.delete(token) ?? false }), 'application/json');
      }
      callback(req, res);
    };
    handle().catch((err: Error) => send(res, 500, `error: ${err.message}`));
  });
  const sockets = new Set<net.Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, HOST, resolve);
  });
  server.unref();

  return {
    issuer,
    registrationEndpoint: `${issuer}/reg`,
    user,
    introspectionClient,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function accessTokenSeconds(metadata: Record<string, unknown>): number {
  const seconds = metadata['access_token_lifetime'];
  return typeof seconds === 'number' && seconds > 0 ? seconds : DEFAULT_ACCESS_TOKEN_SECONDS;
}

function body(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (data += chunk));
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}

function send(res: http.ServerResponse, status: number, text: string, type = 'text/html; charset=utf-8'): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': type });
  res.end(text);
}

const escape = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function loginPage(uid: string, error?: string): string {
  return `<!doctype html><html><head><title>Sign in - Test Identity Provider</title></head><body>
<h1>Sign in</h1>${error ? `<p role="alert">${escape(error)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}/login">
<label>Email address <input name="login" autocomplete="username"></label>
<label>Password <input name="password" type="password" autocomplete="current-password"></label>
<button type="submit">Sign in</button>
</form></body></html>`;
}

function consentPage(uid: string, clientId: string, scope: string): string {
  return `<!doctype html><html><head><title>Allow access - Test Identity Provider</title></head><body>
<h1>Allow access</h1>
<p>The app <code>${escape(clientId)}</code> asks for: ${escape(scope)}</p>
<form method="post" action="/interaction/${escape(uid)}/consent"><button type="submit">Allow</button></form>
</body></html>`;
}
