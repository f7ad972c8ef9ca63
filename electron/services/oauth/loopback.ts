import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { classifyOAuthError, OAuthFailure, oauthErrorDetail } from './oauth-failure';

/**
 * The browser half of a native app's sign-in (RFC 8252): the authorization URL for the system
 * browser, with PKCE (RFC 7636, S256) and a random `state`, and a listener on 127.0.0.1 at a port
 * the system picks, where the provider sends the browser back with the code.
 */
export interface PendingAuthorization {
  url: string;
  redirectUri: string;
  /** The PKCE verifier, for the code exchange. */
  verifier: string;
  /** Settles once the browser comes back (or the time is up); the listener is closed by then. */
  code: Promise<string>;
  cancel(): void;
}

const LOOPBACK = '127.0.0.1';

export async function startAuthorization(opts: {
  authorizationEndpoint: string;
  clientId: string;
  scope: string;
  extraParams: Record<string, string>;
  timeoutMs: number;
}): Promise<PendingAuthorization> {
  const verifier = randomBytes(32).toString('base64url');
  const state = randomBytes(24).toString('base64url');
  let settle: { resolve(code: string): void; reject(err: Error): void } | undefined;
  const code = new Promise<string>((resolve, reject) => (settle = { resolve, reject }));
  code.catch(() => undefined);

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://${LOOPBACK}`);
    const params = url.searchParams;
    // Browsers also ask for /favicon.ico; and a request without our state is not the provider's
    // answer to this sign-in (another page may have guessed the port), so it changes nothing.
    if (url.pathname !== '/' || !sameState(params.get('state'), state)) {
      page(res, 400, 'This address belongs to a sign-in in Auxilium Desktop', 'It did not come with the answer Auxilium is waiting for.');
      return;
    }
    const error = params.get('error');
    const received = params.get('code');
    if (error || !received) {
      const detail = oauthErrorDetail(error ?? 'no code', params.get('error_description') ?? '');
      page(res, 200, 'Sign-in did not complete', `${detail}. Return to Auxilium Desktop to see what to do.`);
      finish(new OAuthFailure(classifyOAuthError(error ?? '', params.get('error_description') ?? ''), detail));
      return;
    }
    page(res, 200, 'Signed in', 'You can close this tab and return to Auxilium Desktop.');
    finish(received);
  });
  const timer = setTimeout(
    () => finish(new OAuthFailure('OAUTH_SIGN_IN_FAILED', `No answer from the sign-in page within ${Math.round(opts.timeoutMs / 60_000)} minutes`)),
    opts.timeoutMs,
  );
  timer.unref();
  function finish(result: string | Error): void {
    clearTimeout(timer);
    // closeAllConnections: the browser keeps the connection alive, which would hold close() open.
    server.close();
    server.closeAllConnections();
    if (typeof result === 'string') settle?.resolve(result);
    else settle?.reject(result);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, LOOPBACK, resolve);
  });
  const redirectUri = `http://${LOOPBACK}:${(server.address() as AddressInfo).port}/`;
  const url = new URL(opts.authorizationEndpoint);
  const query = {
    response_type: 'code',
    client_id: opts.clientId,
    redirect_uri: redirectUri,
    scope: opts.scope,
    state,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    ...opts.extraParams,
  };
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
  return {
    url: url.toString(),
    redirectUri,
    verifier,
    code,
    cancel: () => finish(new OAuthFailure('OAUTH_SIGN_IN_FAILED', 'Sign-in was cancelled')),
  };
}

function sameState(received: string | null, expected: string): boolean {
  if (received === null) return false;
  const a = Buffer.from(received);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function page(res: http.ServerResponse, status: number, title: string, text: string): void {
  const escape = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
    'cache-control': 'no-store',
  });
  res.end(
    `<!doctype html><html><head><meta charset="utf-8"><title>${escape(title)}</title></head>` +
      `<body style="font-family:sans-serif;max-width:32rem;margin:4rem auto"><h1>${escape(title)}</h1><p>${escape(text)}</p></body></html>`,
  );
}
