import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultChannelForm, type Channel, type ChannelForm } from '../../../shared/channel';
import { tempDir, testKeychainService } from '../../../test/support/temp';
import { createCore, type Core } from '../../core/create-core';

// A saved password goes only to the server it was saved for. The "new server" here is a plain TCP
// listener on 127.0.0.1 that speaks just enough IMAP or SMTP for a client to try logging in, and
// records whether a log-in arrived. It stands in for a stranger's server: a real Dovecot/Postfix
// would not tell us anything more, and what matters is whether the password leaves at all.

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface LoginRecorder {
  port: number;
  /** Everything the client sent, as text. */
  received(): string;
}

async function fakeServer(protocol: 'imap' | 'smtp'): Promise<LoginRecorder> {
  let received = '';
  const server: Server = createServer((socket) => {
    socket.on('error', () => undefined);
    socket.write(protocol === 'imap' ? '* OK [CAPABILITY IMAP4rev1] ready\r\n' : '220 fake.test ESMTP\r\n');
    let buffered = '';
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString();
      buffered += chunk.toString();
      let end: number;
      while ((end = buffered.indexOf('\r\n')) !== -1) {
        const line = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        socket.write(protocol === 'imap' ? imapAnswer(line) : smtpAnswer(line));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const port = (server.address() as { port: number }).port;
  return { port, received: () => received };
}

function imapAnswer(line: string): string {
  const [tag, command = ''] = line.split(' ');
  if (/^capability$/i.test(command)) return `* CAPABILITY IMAP4rev1\r\n${tag} OK done\r\n`;
  if (/^(login|authenticate)$/i.test(command)) return `${tag} NO [AUTHENTICATIONFAILED] recorded\r\n`;
  return `${tag} OK done\r\n`;
}

function smtpAnswer(line: string): string {
  if (/^(ehlo|helo)/i.test(line)) return '250-fake.test\r\n250 AUTH PLAIN LOGIN\r\n';
  if (/^auth/i.test(line)) return '535 5.7.8 recorded\r\n';
  if (/^quit/i.test(line)) return '221 bye\r\n';
  return '250 ok\r\n';
}

/** What the password "saved-Secret" looks like in any of the log-in forms the clients use. */
function containsPassword(text: string): boolean {
  const plain = Buffer.from('\0user@example.test\0saved-Secret').toString('base64');
  const login = Buffer.from('saved-Secret').toString('base64');
  return text.includes('saved-Secret') || text.includes(plain) || text.includes(login);
}

function form(): ChannelForm {
  const base = defaultChannelForm();
  const server = { host: 'mail.example.invalid', username: 'user@example.test', password: 'saved-Secret', tls: false };
  return {
    ...base,
    name: 'Support',
    imap: { ...base.imap, ...server, port: 143 },
    smtp: { ...base.smtp, ...server, port: 587, fromName: 'Support', fromAddress: 'support@example.test' },
    supportAddress: 'support@example.test',
  };
}

async function setup(): Promise<{ core: Core; channel: Channel }> {
  const dir = tempDir();
  const core = createCore({ dataDir: dir.path, version: '0.0.0-test', keychainService: testKeychainService() });
  cleanups.push(dir.remove, () => core.stop());
  await core.start();
  const created = await core.router.handle('channels:create', form());
  if (!created.ok) throw new Error(JSON.stringify(created.error));
  return { core, channel: created.value as Channel };
}

describe('a saved password and a changed server', () => {
  for (const protocol of ['imap', 'smtp'] as const) {
    it(`Test Connection with another ${protocol.toUpperCase()} host and a blank password refuses instead of sending the saved one`, async () => {
      const { core, channel } = await setup();
      const stranger = await fakeServer(protocol);
      const values = form();
      values.imap.password = '';
      values.smtp.password = '';
      Object.assign(values[protocol], { host: '127.0.0.1', port: stranger.port });

      const result = await core.router.handle('channels:test-connection', { values, channelId: channel.id });
      expect(result).toMatchObject({
        ok: false,
        error: { code: 'VALIDATION_FAILED', fields: [{ path: `${protocol}.password`, message: 'Enter the password again: the server changed' }] },
      });
      expect(containsPassword(stranger.received())).toBe(false);

      // Typed again, the password is used: the same server now receives a log-in.
      values[protocol].password = 'saved-Secret';
      await core.router.handle('channels:test-connection', { values, channelId: channel.id });
      expect(containsPassword(stranger.received())).toBe(true);
    });

    it(`saving another ${protocol.toUpperCase()} host, port, user name or TLS mode with a blank password is refused and changes nothing`, async () => {
      const { core, channel } = await setup();
      const stranger = await fakeServer(protocol);
      const changes: Partial<ChannelForm['imap']>[] = [
        { host: '127.0.0.1', port: stranger.port },
        { port: stranger.port },
        { username: 'someone-else@example.test' },
        { tls: true },
        { tlsMode: 'implicit' },
      ];
      for (const change of changes) {
        const values = form();
        values.imap.password = '';
        values.smtp.password = '';
        Object.assign(values[protocol], change);
        const result = await core.router.handle('channels:update', { id: channel.id, values });
        expect(result, JSON.stringify(change)).toMatchObject({ ok: false, error: { fields: [{ path: `${protocol}.password` }] } });
      }
      const stored = await core.router.handle('channels:list', {});
      expect(stored).toMatchObject({
        ok: true,
        value: [{ [protocol]: { host: 'mail.example.invalid', username: 'user@example.test', port: channel[protocol].port } }],
      });
      expect(containsPassword(stranger.received())).toBe(false);

      // The same server with a blank password still keeps the saved one.
      const same = form();
      same.imap.password = '';
      same.smtp.password = '';
      same.name = 'Renamed';
      expect(await core.router.handle('channels:update', { id: channel.id, values: same })).toMatchObject({ ok: true, value: { name: 'Renamed' } });
    });
  }
});
