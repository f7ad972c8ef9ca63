import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir, testKeychainService } from '../../../test/support/temp';
import { createCore } from '../../core/create-core';
import { KeychainCredentialStore } from './credential-store';

/** File descriptors this process holds open right now. */
const openFds = () => readdirSync('/proc/self/fd').length;

// Runs against the real Secret Service (GNOME Keyring in a private D-Bus session, set up by `npm test`).

const root = join(import.meta.dirname, '../../..');

describe('OS keychain credential store', () => {
  it('stores, reads, replaces and deletes a password', async () => {
    const store = new KeychainCredentialStore(testKeychainService());
    expect(await store.get('channel:a:imap')).toBeNull();
    await store.set('channel:a:imap', 'first pässword');
    expect(await store.get('channel:a:imap')).toBe('first pässword');
    await store.set('channel:a:imap', 'second');
    expect(await store.get('channel:a:imap')).toBe('second');
    await store.delete('channel:a:imap');
    expect(await store.get('channel:a:imap')).toBeNull();
    await store.delete('channel:a:imap'); // deleting what is gone is fine
    expect((await store.check()).available).toBe(true);
  });

  it('keeps its open file descriptors bounded through bursts of keychain status checks and reads', async () => {
    const dir = tempDir();
    const core = createCore({ dataDir: dir.path, version: '0.0.0-test', keychainService: testKeychainService() });
    try {
      await core.start();
      const before = openFds();
      // What a page polling the app info could send at once.
      const answers = await Promise.all(Array.from({ length: 500 }, () => core.router.handle('app:get-info', {})));
      expect(answers.every((a) => a.ok && (a.value as { keychain: { available: boolean } }).keychain.available)).toBe(true);
      expect(openFds() - before).toBeLessThan(16);
    } finally {
      await core.stop();
      dir.remove();
    }

    const store = new KeychainCredentialStore(testKeychainService());
    await store.set('channel:b:imap', 'pw');
    const before = openFds();
    for (let i = 0; i < 500; i++) expect(await store.get('channel:b:imap')).toBe('pw');
    await Promise.all(Array.from({ length: 500 }, () => store.get('channel:b:imap')));
    expect(openFds() - before).toBeLessThan(16);
    await store.delete('channel:b:imap');
  });

  it('keeps services apart', async () => {
    const one = new KeychainCredentialStore(testKeychainService());
    const two = new KeychainCredentialStore(testKeychainService());
    await one.set('account', 'one');
    expect(await two.get('account')).toBeNull();
    await one.delete('account');
  });

  it('keeps the saved passwords and goes on answering after the keyring daemon dies and is started again', () => {
    // A session of its own (scripts/with-keyring.sh, as `npm test` uses), so killing its daemon
    // leaves the Secret Service the other tests use alone. The daemon to kill is the one that owns
    // org.freedesktop.secrets on that session's bus.
    const script = `
      import { execFileSync } from 'node:child_process';
      import { KeychainCredentialStore } from './electron/services/credentials/credential-store.ts';
      const store = new KeychainCredentialStore('auxilium-restart-test');
      await store.set('account', 'saved before');
      const owner = execFileSync('dbus-send', ['--session', '--print-reply', '--dest=org.freedesktop.DBus', '/org/freedesktop/DBus',
        'org.freedesktop.DBus.GetConnectionUnixProcessID', 'string:org.freedesktop.secrets'], { encoding: 'utf8' });
      const pid = Number(/uint32 (\\d+)/.exec(owner)[1]);
      process.kill(pid, 'SIGKILL');
      const alive = () => { try { return process.kill(pid, 0); } catch { return false; } };
      while (alive()) await new Promise((r) => setTimeout(r, 50));
      const read = await store.get('account').catch((e) => e.error ?? String(e));
      await store.set('account', 'saved after');
      console.log(JSON.stringify({ killed: pid, read, after: await store.get('account') }));
    `;
    const output = execFileSync(join(root, 'scripts/with-keyring.sh'), [join(root, 'node_modules/.bin/tsx'), '--input-type=module', '-e', script], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const result = JSON.parse(output.trim().split('\n').at(-1)!);
    expect(result.killed).toBeGreaterThan(0);
    expect(result.read).toBe('saved before');
    expect(result.after).toBe('saved after');
  });

  it('fails loudly and specifically when no Secret Service answers, instead of keeping the password somewhere volatile', () => {
    // The keychain library keeps its D-Bus connection for the life of a process, so the machine
    // without a Secret Service is a child process whose session bus does not exist.
    const script = `
      import { KeychainCredentialStore } from './electron/services/credentials/credential-store.ts';
      const store = new KeychainCredentialStore('auxilium-no-bus-test');
      const saved = await store.set('account', 'secret').then(() => 'saved', (e) => e.error);
      console.log(JSON.stringify({ saved, check: await store.check() }));
    `;
    const output = execFileSync(join(root, 'node_modules/.bin/tsx'), ['--input-type=module', '-e', script], {
      cwd: root,
      env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/auxilium-no-bus' },
      encoding: 'utf8',
    });
    const { saved, check } = JSON.parse(output.trim().split('\n').at(-1)!);
    expect(saved.code).toBe('KEYCHAIN_UNAVAILABLE');
    expect(saved.message).toMatch(/No system keychain answered, so the password was not saved/);
    expect(saved.hint).toMatch(/GNOME Keyring or KWallet/);
    expect(check.available).toBe(false);
  });
});
