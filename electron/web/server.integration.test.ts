import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { MAX_REPLY_ATTACHMENT_BYTES } from '../../shared/attachments';
import { tempDir, testKeychainService } from '../../test/support/temp';
import { createCore, type Core } from '../core/create-core';
import { startWebHost, type WebHost } from './server';

// The web host as a browser and as a hostile page would meet it: real HTTP and WebSocket on loopback.

let core: Core;
let host: WebHost;
let token: string;
const dataDir = tempDir();
const rendererDir = tempDir();

beforeAll(async () => {
  writeFileSync(join(rendererDir.path, 'index.html'), '<!doctype html><html><head><title>Auxilium</title></head><body></body></html>');
  writeFileSync(join(rendererDir.path, 'app.js'), 'console.log("app")');
  writeFileSync(join(dataDir.path, 'secret.txt'), 'not for the web');
  core = createCore({ dataDir: dataDir.path, version: '0.0.0-test', keychainService: testKeychainService() });
  await core.start();
  host = await startWebHost({ core, rendererDir: rendererDir.path, port: 0 });
  const page = await (await fetch(host.url)).text();
  token = /name="auxilium-token" content="([^"]+)"/.exec(page)?.[1] ?? '';
});

afterAll(async () => {
  await host.close();
  await core.stop();
  dataDir.remove();
  rendererDir.remove();
});

function connect(options: { token?: string; origin?: string; hostHeader?: string }): Promise<WebSocket> {
  const url = `ws://127.0.0.1:${host.port}/ws?token=${encodeURIComponent(options.token ?? token)}`;
  const ws = new WebSocket(url, {
    origin: options.origin ?? `http://127.0.0.1:${host.port}`,
    headers: options.hostHeader ? { Host: options.hostHeader } : {},
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

  it('serves the app with a per-run token and a strict CSP', async () => {
    const response = await fetch(host.url);
    expect(response.status).toBe(200);
    expect(token).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain(`ws://127.0.0.1:${host.port}`);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await (await fetch(`${host.url}app.js`)).text()).toContain('console.log');
  });

  it('does not serve files outside the renderer folder', async () => {
    for (const path of ['../secret.txt', '..%2fsecret.txt', '%2e%2e/%2e%2e/etc/passwd']) {
      const body = await (await fetch(`${host.url}${path}`)).text();
      expect(body).not.toContain('not for the web');
      expect(body).not.toContain('root:');
    }
  });

  it('refuses requests addressed to another host name (DNS rebinding)', async () => {
    const ws = connect({ hostHeader: `attacker.example:${host.port}` });
    await expect(ws).rejects.toThrow('HTTP 403');
  });

  it('refuses WebSocket connections without the token or from another origin', async () => {
    await expect(connect({ token: 'guess' })).rejects.toThrow('HTTP 403');
    await expect(connect({ token: '' })).rejects.toThrow('HTTP 403');
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
    const answer = await Promise.race([request(ws, 'drafts:add-attachment', { conversationId: 424242, filename: 'full.bin', contentType: '', content }), closed]);
    expect(answer).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    ws.close();
  });
});
