import { describe, expect, it } from 'vitest';
import { defaultChannelForm } from '../../shared/channel';
import { channelNames } from '../../shared/contract';
import { AppFailure } from '../../shared/errors';
import { createRouter, type Handlers } from './router';

/** Every channel of the contract, each recording that it was called; `overrides` replace some. */
function handlers(overrides: Partial<Handlers>, called: string[] = []): Handlers {
  const recorders = Object.fromEntries(
    channelNames.map((name) => [
      name,
      () => {
        called.push(name);
        throw new Error('not used');
      },
    ]),
  );
  return { ...recorders, ...overrides } as Handlers;
}

describe('router', () => {
  it('refuses unknown channels without calling anything', async () => {
    const called: string[] = [];
    const router = createRouter(handlers({}, called), () => undefined);
    for (const name of ['shell:open-everything', '__proto__', 'constructor', 'toString']) {
      const result = await router.handle(name, {});
      expect(result).toMatchObject({ ok: false, error: { code: 'INTERNAL' } });
    }
    expect(called).toEqual([]);
    // The recorders do record: a known channel reaches its handler.
    await router.handle('channels:list', {});
    expect(called).toEqual(['channels:list']);
  });

  it('answers invalid input with field errors and never reaches the handler', async () => {
    let called = false;
    const router = createRouter(handlers({ 'channels:create': () => ((called = true), undefined as never) }), () => undefined);
    const form = defaultChannelForm();
    const result = await router.handle('channels:create', { ...form, imap: { ...form.imap, port: 0 } });
    expect(called).toBe(false);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe('VALIDATION_FAILED');
      expect(result.error.fields).toContainEqual({ path: 'imap.port', message: 'Port must be a whole number from 1 to 65535' });
    }
  });

  it('turns an AppFailure into its error as data', async () => {
    const router = createRouter(
      handlers({
        'channels:delete': () => {
          throw new AppFailure({ code: 'NOT_FOUND', message: 'gone', retryable: false });
        },
      }),
      () => undefined,
    );
    expect(await router.handle('channels:delete', { id: 'x' })).toEqual({ ok: false, error: { code: 'NOT_FOUND', message: 'gone', retryable: false } });
  });

  it('reports unexpected errors as INTERNAL and tells the logger', async () => {
    const seen: string[] = [];
    const router = createRouter(
      handlers({
        'channels:list': () => {
          throw new Error('disk full');
        },
      }),
      (channel) => seen.push(channel),
    );
    expect(await router.handle('channels:list', {})).toMatchObject({ ok: false, error: { code: 'INTERNAL', message: 'Something went wrong: disk full' } });
    expect(seen).toEqual(['channels:list']);
  });

  it('strips anything the output schema does not name, so a stray password cannot cross', async () => {
    const router = createRouter(
      handlers({
        'app:get-info': () => ({ version: '1', dataDir: '/d', keychain: { available: true }, password: 'leak' }) as never,
      }),
      () => undefined,
    );
    const result = await router.handle('app:get-info', {});
    expect(JSON.stringify(result)).not.toContain('leak');
    expect(result).toEqual({ ok: true, value: { version: '1', dataDir: '/d', keychain: { available: true } } });
  });
});
