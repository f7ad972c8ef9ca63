import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultChannelForm, type ChannelForm } from '../../shared/channel';
import type { EventPayload } from '../../shared/contract';
import { tempDir, testKeychainService } from '../../test/support/temp';
import type { MailboxWatchers } from '../services/channels/channel-service';
import { credentialAccount, KeychainCredentialStore } from '../services/credentials/credential-store';
import { createCore } from './create-core';
import { call } from '../../test/support/core';

// The channel lifecycle through the same router the renderer uses, with the real OS keychain
// (Secret Service) and a real SQLite file. No mail server is needed until the watcher exists.

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Records what the core asks of the mailbox watcher hook. */
function recordingWatchers(): MailboxWatchers & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    start: (channel) => calls.push(`start ${channel.id} ${channel.imap.password ? 'with' : 'without'} password`),
    stop: async (id) => void calls.push(`stop ${id}`),
  };
}

function setup(dataDir?: string, keychainService = testKeychainService()) {
  const dir = dataDir ? { path: dataDir, remove: () => undefined } : tempDir();
  const watchers = recordingWatchers();
  const core = createCore({ dataDir: dir.path, version: '0.0.0-test', keychainService, watchers });
  cleanups.push(dir.remove, () => core.stop());
  return { core, dir: dir.path, watchers, keychainService, keychain: new KeychainCredentialStore(keychainService) };
}

function form(overrides: Partial<ChannelForm> = {}): ChannelForm {
  const base = defaultChannelForm();
  return {
    ...base,
    name: 'Support Email',
    imap: { ...base.imap, host: 'imap.example.test', username: 'support@example.test', password: 'imap-Secret-1' },
    smtp: {
      ...base.smtp,
      host: 'smtp.example.test',
      username: 'support@example.test',
      password: 'smtp-Secret-2',
      fromName: 'Acme Support',
      fromAddress: 'support@example.test',
    },
    supportAddress: 'support@example.test',
    ...overrides,
  };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

describe('channels through the core', () => {
  it('creates a channel: passwords go to the keychain only, the card is active and watching starts', async () => {
    const { core, dir, watchers, keychain } = setup();
    await core.start();
    const heard: EventPayload<'channels:changed'>[] = [];
    core.events.on('channels:changed', (payload) => heard.push(payload));

    const channel = await call(core, 'channels:create', form());
    expect(channel).toMatchObject({ name: 'Support Email', type: 'email', enabled: true, supportAddress: 'support@example.test' });
    expect(channel.imap.hasPassword && channel.smtp.hasPassword).toBe(true);
    expect(channel.status.state).toBe('starting');
    expect(JSON.stringify(channel)).not.toContain('Secret');
    expect(watchers.calls).toEqual([`start ${channel.id} with password`]);
    expect(heard.at(-1)?.channels.map((c) => c.id)).toEqual([channel.id]);

    expect(await keychain.get(credentialAccount(channel.id, 'imap'))).toBe('imap-Secret-1');
    expect(await keychain.get(credentialAccount(channel.id, 'smtp'))).toBe('smtp-Secret-2');

    await core.stop();
    for (const file of filesUnder(dir)) {
      const bytes = readFileSync(file);
      expect(bytes.includes('imap-Secret-1'), `${file} holds a password`).toBe(false);
      expect(bytes.includes('smtp-Secret-2'), `${file} holds a password`).toBe(false);
    }
  });

  it('edits a channel, keeping a password left blank and replacing one that was typed', async () => {
    const { core, watchers, keychain } = setup();
    await core.start();
    const created = await call(core, 'channels:create', form());
    const values = form({ name: 'Renamed' });
    values.imap.password = '';
    values.smtp.password = 'new-smtp-password';
    values.imap.mailbox = 'Support';
    const updated = await call(core, 'channels:update', { id: created.id, values });
    expect(updated).toMatchObject({ name: 'Renamed', imap: { mailbox: 'Support' } });
    expect(await keychain.get(credentialAccount(created.id, 'imap'))).toBe('imap-Secret-1');
    expect(await keychain.get(credentialAccount(created.id, 'smtp'))).toBe('new-smtp-password');
    // The watcher restarts with the new settings.
    expect(watchers.calls.slice(-2)).toEqual([`stop ${created.id}`, `start ${created.id} with password`]);
  });

  it('disables and enables a channel, stopping and starting its watcher', async () => {
    const { core, watchers } = setup();
    await core.start();
    const created = await call(core, 'channels:create', form());
    const disabled = await call(core, 'channels:set-enabled', { id: created.id, enabled: false });
    expect(disabled.enabled).toBe(false);
    expect(disabled.status.state).toBe('disabled');
    const enabled = await call(core, 'channels:set-enabled', { id: created.id, enabled: true });
    expect(enabled.enabled).toBe(true);
    expect(enabled.status.state).toBe('starting');
    expect(watchers.calls).toEqual([`start ${created.id} with password`, `stop ${created.id}`, `start ${created.id} with password`]);
  });

  it('deletes a channel with its keychain entries', async () => {
    const { core, watchers, keychain } = setup();
    await core.start();
    const created = await call(core, 'channels:create', form());
    await call(core, 'channels:delete', { id: created.id });
    expect(await call(core, 'channels:list', {})).toEqual([]);
    expect(await keychain.get(credentialAccount(created.id, 'imap'))).toBeNull();
    expect(await keychain.get(credentialAccount(created.id, 'smtp'))).toBeNull();
    expect(watchers.calls.at(-1)).toBe(`stop ${created.id}`);
    const again = await core.router.handle('channels:delete', { id: created.id });
    expect(again).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  });

  it('keeps channels across a restart and resumes watching the enabled ones', async () => {
    const first = setup();
    await first.core.start();
    const kept = await call(first.core, 'channels:create', form({ name: 'Kept' }));
    const off = await call(first.core, 'channels:create', form({ name: 'Off' }));
    await call(first.core, 'channels:set-enabled', { id: off.id, enabled: false });
    await first.core.stop();

    const second = setup(first.dir, first.keychainService);
    await second.core.start();
    const channels = await call(second.core, 'channels:list', {});
    expect(channels.map((c) => [c.name, c.enabled])).toEqual([
      ['Kept', true],
      ['Off', false],
    ]);
    expect(second.watchers.calls).toEqual([`start ${kept.id} with password`]);
  });

  it('rejects invalid settings with the field that is wrong, and saves nothing', async () => {
    const { core } = setup();
    await core.start();
    const bad = form();
    bad.smtp.port = 0;
    bad.imap.password = '';
    const result = await core.router.handle('channels:create', bad);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe('VALIDATION_FAILED');
      expect(result.error.fields?.map((f) => f.path).sort()).toEqual(['imap.password', 'smtp.port']);
    }
    expect(await call(core, 'channels:list', {})).toEqual([]);
  });

  it('reports the keychain status', async () => {
    const { core } = setup();
    const info = await call(core, 'app:get-info', {});
    expect(info.keychain.available).toBe(true);
  });
});
