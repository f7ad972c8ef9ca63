import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { MAX_REPLY_ATTACHMENT_BYTES } from '../../shared/attachments';
import { tempDir, testKeychainService } from '../../test/support/temp';
import { sessionCookie } from '../../test/support/web-session';
import { createCore, type Core } from '../core/create-core';
import { sessionCookieName, startWebHost, type WebHost } from './server';

// The web host as a browser and as a hostile page would meet it: real HTTP and WebSocket on loopback.

let core: Core;
let host: WebHost;
let token: string;
let cookie: string;
const dataDir = tempDir();
const rendererDir = tempDir();

beforeAll(async () => {
  writeFileSync(join(rendererDir.path, 'index.html'), '<!doctype html><html><head><title>Auxilium</title></head><body></body></html>');
  writeFileSync(join(rendererDir.path, 'app.js'), 'console.log("app")');
  writeFileSync(join(dataDir.path, 'secret.txt'), 'not for the web');
  core = createCore({ dataDir: dataDir.path, version: '0.0.0-test', keychainService: testKeychainService() });
  await core.start();
  host = await startWebHost({ core, rendererDir: rendererDir.path, port: 0 });
  token = new URL(host.openUrl).searchParams.get('key') ?? '';
  cookie = await sessionCookie(host.openUrl);
});

afterAll(async () => {
  await host.close();
  await core.stop();
  dataDir.remove();
  rendererDir.remove();
});

function connect(options: { cookie?: string; origin?: string; hostHeader?: string; path?: string }): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${host.port}${options.path ?? '/ws'}`, {
    origin: options.origin ?? `http://127.0.0.1:${host.port}`,
    headers: { Cookie: options.cookie ?? cookie, ...(options.hostHeader ? { Host: options.hostHeader } : {}) },
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

/** Whether a TCP connection to host:port is accepted. */
function reachable(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: address, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function request(ws: WebSocket, channel: string, input: unknown): Promise<{ ok: boolean; value?: unknown; error?: { code: string } }> {
  const id = Math.random();
  return new Promise((resolve) => {
    ws.on('message', (data) => {
      const message = JSON.parse(String(data));
      if (message.id === id) resolve(message.result);
    });
    ws.send(JSON.stringify({ id, channel, input }));
  });
}

describe('web host', () => {
  it('listens on 127.0.0.1 only', async () => {
    expect(await reachable('127.0.0.1', host.port)).toBe(true);
    // Another loopback address of this machine reaches a socket bound to all interfaces, not ours.
    expect(await reachable('127.0.0.2', host.port)).toBe(false);
    expect(await reachable('::1', host.port)).toBe(false);
  });

  it('serves the app with the session cookie and a strict CSP', async () => {
    const response = await fetch(host.url, { headers: { Cookie: cookie } });
    expect(response.status).toBe(200);
    expect(token).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain(`ws://127.0.0.1:${host.port}`);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await (await fetch(`${host.url}app.js`, { headers: { Cookie: cookie } })).text()).toContain('console.log');
    expect((await fetch(`${host.url}app.js`)).status).toBe(401);
  });

  it('does not serve files outside the renderer folder', async () => {
    for (const path of ['../secret.txt', '..%2fsecret.txt', '%2e%2e/%2e%2e/etc/passwd']) {
      const body = await (await fetch(`${host.url}${path}`, { headers: { Cookie: cookie } })).text();
      expect(body).not.toContain('not for the web');
      expect(body).not.toContain('root:');
    }
  });

  it('refuses requests addressed to another host name (DNS rebinding)', async () => {
    const ws = connect({ hostHeader: `attacker.example:${host.port}` });
    await expect(ws).rejects.toThrow('HTTP 403');
  });

  it('keeps the key out of every page: a local process that fetches / learns nothing', async () => {
    for (const path of ['', 'index.html', '#/inbox/all', 'inbox']) {
      const response = await fetch(`${host.url}${path}`);
      expect(response.status, path).toBe(401);
      const body = await response.text();
      expect(body).not.toContain(token);
      expect(body).toContain('Open the address printed in the terminal');
    }
    // With the session the page is the app, still without the key in it.
    const page = await (await fetch(host.url, { headers: { Cookie: cookie } })).text();
    expect(page).toContain('<title>Auxilium</title>');
    expect(page).not.toContain(token);
  });

  it('trades the printed key for an HttpOnly SameSite=Strict cookie and takes the key out of the address', async () => {
    const response = await fetch(`${host.openUrl}`.replace('/?', '/inbox?a=1&'), { redirect: 'manual' });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/inbox?a=1');
    const setCookie = response.headers.get('set-cookie') ?? '';
    expect(setCookie).toContain(`${sessionCookieName(host.port)}=${token}`);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    const wrong = await fetch(`${host.url}?key=guess`, { redirect: 'manual' });
    expect(wrong.status).toBe(403);
    expect(wrong.headers.get('set-cookie')).toBeNull();
  });

  it('refuses WebSocket connections without the session cookie or from another origin', async () => {
    const name = sessionCookieName(host.port);
    await expect(connect({ cookie: `${name}=guess` })).rejects.toThrow('HTTP 403');
    await expect(connect({ cookie: '' })).rejects.toThrow('HTTP 403');
    await expect(connect({ cookie: `${sessionCookieName(host.port + 1)}=${token}` })).rejects.toThrow('HTTP 403');
    // The key in the socket's address instead of the cookie is not enough either.
    await expect(connect({ cookie: '', path: `/ws?token=${token}&key=${token}` })).rejects.toThrow('HTTP 403');
    await expect(connect({ origin: 'https://evil.example' })).rejects.toThrow('HTTP 403');
    await expect(connect({ origin: 'null' })).rejects.toThrow('HTTP 403');
  });

  it('answers contract calls and forwards events to an authorised page', async () => {
    const ws = await connect({});
    const events: string[] = [];
    ws.on('message', (data) => {
      const message = JSON.parse(String(data));
      if (message.event) events.push(message.event);
    });
    expect(await request(ws, 'channels:list', {})).toEqual({ ok: true, value: [] });
    expect(await request(ws, 'channels:bogus', {})).toMatchObject({ ok: false, error: { code: 'INTERNAL' } });
    core.events.emit('channels:changed', { channels: [] });
    await expect.poll(() => events).toContain('channels:changed');
    ws.close();
  });

  it('takes a file as large as a reply may carry in one request', async () => {
    const ws = await connect({});
    const closed = new Promise<{ closedWith: number }>((resolve) => ws.once('close', (code) => resolve({ closedWith: code })));
    const content = Buffer.alloc(MAX_REPLY_ATTACHMENT_BYTES, 1).toString('base64');
    // It reaches the router (no such conversation here) instead of the connection being closed as too large (1009).
    const answer = await Promise.race([
      request(ws, 'drafts:add-attachment', { conversationId: 424242, filename: 'full.bin', contentType: '', content }),
      closed,
    ]);
    expect(answer).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    ws.close();
  });
});
