import { AsyncEntry, type EntryOptions } from '@napi-rs/keyring';
import { AppFailure } from '../../../shared/errors';

/** Where mail passwords live. The only implementation is the OS keychain; there is no fallback. */
export interface CredentialStore {
  set(account: string, password: string): Promise<void>;
  get(account: string): Promise<string | null>;
  delete(account: string): Promise<void>;
  /** Whether a keychain answers right now, and if not, what the user can do. */
  check(): Promise<{ available: true } | { available: false; message: string }>;
}

export const DEFAULT_KEYCHAIN_SERVICE = 'Auxilium Desktop';

const UNAVAILABLE_HINT: Record<string, string> = {
  linux:
    'Auxilium keeps mail passwords only in the system keychain (Secret Service). Install and unlock GNOME Keyring or KWallet (for example: sudo apt install gnome-keyring), log in to a desktop session, then try again.',
  darwin: 'Auxilium keeps mail passwords only in the macOS Keychain. Unlock your login keychain and allow Auxilium access, then try again.',
  win32: 'Auxilium keeps mail passwords only in the Windows Credential Manager. Make sure it is running for your account, then try again.',
};

function unavailable(cause: unknown): AppFailure {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new AppFailure({
    code: 'KEYCHAIN_UNAVAILABLE',
    message: `No system keychain answered, so the password was not saved (${detail}).`,
    hint: UNAVAILABLE_HINT[process.platform] ?? UNAVAILABLE_HINT.linux,
    retryable: true,
  });
}

/**
 * OS keychain through @napi-rs/keyring. On Linux the library would silently fall back to the kernel
 * keyring, which forgets everything at reboot; we pin the Secret Service so that case fails loudly
 * instead of losing passwords later.
 */
export class KeychainCredentialStore implements CredentialStore {
  private readonly options: EntryOptions = { linux: { store: 'secret-service' } };

  constructor(private readonly service: string = DEFAULT_KEYCHAIN_SERVICE) {}

  private entry(account: string): AsyncEntry {
    try {
      return new AsyncEntry(this.service, account, this.options);
    } catch (error) {
      throw unavailable(error);
    }
  }

  async set(account: string, password: string): Promise<void> {
    const entry = this.entry(account);
    try {
      await entry.setPassword(password);
    } catch (error) {
      throw unavailable(error);
    }
  }

  async get(account: string): Promise<string | null> {
    const entry = this.entry(account);
    try {
      return await entry.getPassword();
    } catch (error) {
      throw unavailable(error);
    }
  }

  async delete(account: string): Promise<void> {
    const entry = this.entry(account);
    try {
      await entry.deleteCredential();
    } catch (error) {
      throw unavailable(error);
    }
  }

  async check(): Promise<{ available: true } | { available: false; message: string }> {
    try {
      // Reading a key that does not exist proves the keychain answers without writing anything.
      await this.get('availability-check');
      return { available: true };
    } catch (error) {
      const failure = error instanceof AppFailure ? error.error : undefined;
      return { available: false, message: failure ? `${failure.message} ${failure.hint ?? ''}`.trim() : String(error) };
    }
  }
}

/** Keychain account names for a channel's two passwords. */
export function credentialAccount(channelId: string, protocol: 'imap' | 'smtp'): string {
  return `channel:${channelId}:${protocol}`;
}

/** Keychain account names for a channel's OAuth 2.0 refresh token and client secret. */
export function oauthCredentialAccount(channelId: string, item: 'refresh-token' | 'client-secret'): string {
  return `channel:${channelId}:oauth-${item}`;
}
