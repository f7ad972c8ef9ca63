import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { base64Length, MAX_REPLY_ATTACHMENT_BYTES } from '../../shared/attachments';
import { eventNames } from '../../shared/contract';
import type { AppError, Result } from '../../shared/errors';
import { ATTACHMENT_PATH_PREFIX, openAttachment, parseAttachmentId } from '../core/attachment-response';
import type { Core } from '../core/create-core';
import { contentSecurityPolicy } from '../core/security-policy';

/**
 * Serves the built renderer and the core's router over a WebSocket, on 127.0.0.1 only.
 *
 * Two kinds of stranger can reach a port on 127.0.0.1: any web page the user visits, and any other
 * account on a shared machine. Both are kept out by a per-run key that only the person who started
 * the host sees: it is part of the address printed to their terminal (`/?key=…`). Opening that
 * address trades the key for an HttpOnly, SameSite=Strict cookie and redirects to the same address
 * without it; from then on the page, the WebSocket and attachment downloads are served only with the
 * cookie. No page ever contains the key, so fetching `/` gets nothing but "open the printed address".
 * The socket also checks the Origin, and every request the Host header, which stops DNS-rebinding
 * pages from posing as same-origin.
 */

export interface WebHostOptions {
  core: Pick<Core, 'router' | 'events' | 'attachmentFile'>;
  rendererDir: string;
  port?: number;
}

export interface WebHost {
  /** The address without the key (what the browser shows once the key became a cookie). */
  url: string;
  /** The address to open: carries this run's key. Print it to the person who started the host only. */
  openUrl: string;
  port: number;
  close(): Promise<void>;
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

/** The query parameter of the address to open. */
export const KEY_PARAMETER = 'key';

/** Cookies are not kept apart by port, so each host names its own. */
export function sessionCookieName(port: number): string {
  return `auxilium-session-${port}`;
}

function cookieValue(header: string | undefined, name: string): string {
  for (const part of (header ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return '';
}

const OPEN_THE_PRINTED_ADDRESS =
  '<!doctype html><html><head><meta charset="utf-8"><title>Auxilium</title></head><body>' +
  '<h1>Open the address printed in the terminal</h1><p>Auxilium only opens from the address it printed when it started ' +
  '(it ends with <code>?key=…</code>). Each run prints a new one.</p></body></html>';

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function badRequest(message: string): { ok: false; error: AppError } {
  return { ok: false, error: { code: 'VALIDATION_FAILED', message, retryable: false } };
}

/** A request frame is a JSON object `{ id, channel, input }`; the id is echoed only when it is a number or string. */
function parseRequest(frame: string): Result<{ id: number | string | null; channel: unknown; input: unknown }> {
  let request: unknown;
  try {
    request = JSON.parse(frame);
  } catch {
    return badRequest('The request is not valid JSON.');
  }
  if (typeof request !== 'object' || request === null || Array.isArray(request)) {
    return badRequest('A request must be a JSON object with id, channel and input.');
  }
  const { id, channel, input } = request as Record<string, unknown>;
  return { ok: true, value: { id: typeof id === 'number' || typeof id === 'string' ? id : null, channel, input } };
}

export async function startWebHost(options: WebHostOptions): Promise<WebHost> {
  const token = randomBytes(32).toString('base64url');
  const indexTemplate = await readFile(join(options.rendererDir, 'index.html'), 'utf8');
  let port = 0;
  const allowedHosts = () => [`127.0.0.1:${port}`, `localhost:${port}`];
  const allowedOrigins = () => allowedHosts().map((host) => `http://${host}`);

  const securityHeaders = () => ({
    'Content-Security-Policy': contentSecurityPolicy({ connectSrc: allowedHosts().map((host) => `ws://${host}`) }),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Cache-Control': 'no-store',
  });

  const hasSession = (req: IncomingMessage) => sameSecret(cookieValue(req.headers.cookie, sessionCookieName(port)), token);

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!allowedHosts().includes(req.headers.host ?? '')) {
      res.writeHead(421, { 'Content-Type': 'text/plain' }).end('Misdirected request');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.searchParams.has(KEY_PARAMETER)) {
      // The printed address: its key becomes the session cookie, and the key leaves the address bar.
      if (!sameSecret(url.searchParams.get(KEY_PARAMETER) ?? '', token)) {
        res.writeHead(403, { ...securityHeaders(), 'Content-Type': MIME['.html'] }).end(OPEN_THE_PRINTED_ADDRESS);
        return;
      }
      url.searchParams.delete(KEY_PARAMETER);
      res
        .writeHead(303, {
          ...securityHeaders(),
          'Set-Cookie': `${sessionCookieName(port)}=${token}; HttpOnly; SameSite=Strict; Path=/`,
          Location: `${url.pathname}${url.search}`,
        })
        .end();
      return;
    }
    if (!hasSession(req)) {
      res.writeHead(401, { ...securityHeaders(), 'Content-Type': MIME['.html'] }).end(req.method === 'HEAD' ? undefined : OPEN_THE_PRINTED_ADDRESS);
      return;
    }
    if (url.pathname.startsWith(ATTACHMENT_PATH_PREFIX)) {
      await serveAttachment(req, res, url);
      return;
    }
    const path = decodeURIComponent(url.pathname);
    const file = normalize(join(options.rendererDir, path));
    const insideRenderer = file.startsWith(normalize(options.rendererDir) + sep);
    const isAsset = insideRenderer && extname(file) !== '' && extname(file) !== '.html';
    if (!isAsset) {
      // Every other path is the single-page app; its router decides what to show.
      res.writeHead(200, { ...securityHeaders(), 'Content-Type': MIME['.html'] }).end(req.method === 'HEAD' ? undefined : indexTemplate);
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, { ...securityHeaders(), 'Content-Type': MIME[extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not found');
    }
  }

  /** Only with the session (checked by serve); the id is looked up in the store, so no path from the URL reaches the disk. */
  async function serveAttachment(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const id = parseAttachmentId(url.pathname.slice(ATTACHMENT_PATH_PREFIX.length));
    const file = id === undefined ? undefined : options.core.attachmentFile(id);
    const opened = file && (await openAttachment(file));
    if (!opened) {
      res.writeHead(404, { 'Content-Type': 'text/plain', 'X-Content-Type-Options': 'nosniff' }).end('Not found');
      return;
    }
    res.writeHead(200, opened.headers);
    if (req.method === 'HEAD') {
      opened.stream.destroy();
      res.end();
      return;
    }
    // A client that goes away mid-download ends the pipeline with an error; nothing to answer then.
    await pipeline(opened.stream, res).catch(() => undefined);
  }

  const server = createServer((req, res) => {
    serve(req, res).catch(() => res.writeHead(500).end());
  });
  // The largest request is one file attached to a draft (drafts:add-attachment), which may be as large
  // as a reply's whole limit: its base64 plus room for the JSON around it.
  const sockets = new WebSocketServer({ noServer: true, maxPayload: base64Length(MAX_REPLY_ATTACHMENT_BYTES) + 1024 * 1024 });

  server.on('upgrade', (req, socket, head) => {
    // Node takes its own error listener off a socket it hands over for an upgrade; without one, a
    // client that resets the connection (ECONNRESET) would be an unhandled 'error' and end the host.
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', 'http://x');
    const authorised =
      url.pathname === '/ws' && allowedHosts().includes(req.headers.host ?? '') && allowedOrigins().includes(req.headers.origin ?? '') && hasSession(req);
    if (!authorised) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      return;
    }
    sockets.handleUpgrade(req, socket, head, (ws) => attach(ws));
  });

  function attach(ws: WebSocket): void {
    const off = options.core.events.onAny((event, payload) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ event, payload }));
    }, eventNames);
    ws.on('close', off);
    // ws reports a frame it cannot take (invalid UTF-8, over maxPayload) as an 'error' and closes the
    // connection with the reason (1007, 1009); the listener keeps that from ending the host.
    ws.on('error', () => undefined);
    ws.on('message', (data) => {
      void answer(data.toString()).then((reply) => {
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(reply));
      });
    });
  }

  /** One request frame in, one answer out, whatever the frame holds; never throws. */
  async function answer(frame: string): Promise<{ id: unknown; result: Result<unknown> }> {
    const request = parseRequest(frame);
    if (!request.ok) return { id: null, result: { ok: false, error: request.error } };
    const { id, channel, input } = request.value;
    try {
      return { id, result: await options.core.router.handle(channel, input) };
    } catch (error) {
      const detail = error instanceof Error ? error.message : 'unknown error';
      return { id, result: { ok: false, error: { code: 'INTERNAL', message: `Something went wrong: ${detail}`, retryable: true } } };
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}/`,
    openUrl: `http://127.0.0.1:${port}/?${KEY_PARAMETER}=${token}`,
    port,
    async close() {
      for (const client of sockets.clients) client.terminate();
      sockets.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
