import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { connect as connectTcp } from 'node:net';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { tempDir, testKeychainService } from '../../test/support/temp';
import { sessionCookie } from '../../test/support/web-session';

// What any local process can send the web host, against the host in a process of its own
// (test/support/web-host-child.ts): after each attack the process must still run and answer.

const REPO = resolve(import.meta.dirname, '../..');
const dataDir = tempDir();
const rendererDir = tempDir();
let child: ChildProcess;
let output = '';
let url: URL;
let cookie: string;

beforeAll(async () => {
  writeFileSync(join(rendererDir.path, 'index.html'), '<!doctype html><html><head><title>Auxilium</title></head><body></body></html>');
  child = spawn(join(REPO, 'node_modules/.bin/tsx'), [join(REPO, 'test/support/web-host-child.ts')], {
    cwd: REPO,
    env: { ...process.env, AUX_CHILD_DATA_DIR: dataDir.path, AUX_CHILD_RENDERER_DIR: rendererDir.path, AUX_CHILD_KEYCHAIN: testKeychainService() },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  url = await new Promise<URL>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const listening = /listening (\S+)/.exec(output)?.[1];
      if (listening) resolve(new URL(listening));
    });
    child.once('exit', (code) => reject(new Error(`the web host exited with ${code}:\n${output}`)));
  });
  cookie = await sessionCookie(url.href);
  url = new URL('/', url);
});

afterAll(() => {
  child.kill('SIGKILL');
  dataDir.remove();
  rendererDir.remove();
});

function open(): Promise<WebSocket> {
  const ws = new WebSocket(`ws://${url.host}/ws`, { origin: url.origin, headers: { Cookie: cookie } });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

function nextMessage(ws: WebSocket): Promise<{ id: unknown; result: { ok: boolean; error?: { code: string; message: string } } }> {
  return new Promise((resolve) => ws.once('message', (data) => resolve(JSON.parse(String(data)))));
}

function closeCode(ws: WebSocket): Promise<number> {
  return new Promise((resolve) => ws.once('close', (code) => resolve(code)));
}

/** The host still runs and answers a normal call on a fresh connection. */
async function expectHostUp(): Promise<void> {
  expect(child.exitCode, output).toBeNull();
  const ws = await open();
  const answer = nextMessage(ws);
  ws.send(JSON.stringify({ id: 7, channel: 'channels:list', input: {} }));
  expect(await answer).toEqual({ id: 7, result: { ok: true, value: [] } });
  ws.close();
}

describe('the web host facing a hostile local client', () => {
  it('survives a refused upgrade whose client resets the connection', async () => {
    for (let attempt = 0; attempt < 10; attempt++) {
      const socket = connectTcp(Number(url.port), '127.0.0.1');
      socket.on('error', () => undefined);
      await new Promise((resolve) => socket.once('connect', resolve));
      const refused = new Promise((resolve) => {
        socket.once('data', resolve);
        socket.once('close', resolve);
      });
      socket.write(
        `GET /ws HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      );
      // Half the time before the host answers, half the time after.
      if (attempt % 2 === 1) await refused;
      socket.resetAndDestroy();
    }
    await expectHostUp();
  });

  it('answers a null frame, a channel that is not a string and malformed JSON with an error', async () => {
    const ws = await open();
    let answer = nextMessage(ws);
    ws.send('null');
    expect(await answer).toMatchObject({ id: null, result: { ok: false, error: { code: 'VALIDATION_FAILED' } } });

    answer = nextMessage(ws);
    ws.send(JSON.stringify({ id: 1, channel: { toString: 1 }, input: {} }));
    expect(await answer).toMatchObject({ id: 1, result: { ok: false, error: { message: expect.stringContaining('must be a string') } } });

    answer = nextMessage(ws);
    ws.send('{"id": 2, "channel": ');
    expect(await answer).toMatchObject({ id: null, result: { ok: false, error: { code: 'VALIDATION_FAILED', message: expect.stringContaining('JSON') } } });
    ws.close();
    await expectHostUp();
  });

  it('closes a connection that sends invalid UTF-8 as text (1007) and stays up', async () => {
    const ws = await open();
    ws.on('error', () => undefined);
    const closed = closeCode(ws);
    ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
    expect(await closed).toBe(1007);
    await expectHostUp();
  });

  it('closes a connection that announces a frame over the size limit (1009) and stays up', async () => {
    const ws = await open();
    ws.on('error', () => undefined);
    const closed = closeCode(ws);
    // A masked text frame header claiming 1 GiB of payload.
    const header = Buffer.from([0x81, 0xff, 0, 0, 0, 0, 0x40, 0, 0, 0, 1, 2, 3, 4]);
    (ws as unknown as { _socket: NodeJS.WritableStream })._socket.write(header);
    expect(await closed).toBe(1009);
    await expectHostUp();
  });
});
