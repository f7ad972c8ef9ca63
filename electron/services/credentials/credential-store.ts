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

type KeychainStatus = { available: true } | { available: false; message: string };

/** How long a keychain status answer is reused; the status is shown, not acted upon, so a moment old is fine. */
const CHECK_REUSE_MS = 2_000;
/** Keychain calls in flight at once; the rest wait their turn. */
const MAX_CONCURRENT_CALLS = 4;

/**
 * OS keychain through @napi-rs/keyring. On Linux the library would silently fall back to the kernel
 * keyring, which forgets everything at reboot; we pin the Secret Service so that case fails loudly
 * instead of losing passwords later.
 *
 * Each keychain entry object holds a D-Bus connection (a file descriptor) until it is garbage
 * collected, so a burst of calls that each made a new entry ran the process out of descriptors (and
 * the native module then spun). So: one entry per account, reused; status checks coalesced and
 * reused briefly; and a bound on calls in flight.
 */
export class KeychainCredentialStore implements CredentialStore {
  private readonly options: EntryOptions = { linux: { store: 'secret-service' } };
  private readonly entries = new Map<string, AsyncEntry>();
  private checking: Promise<KeychainStatus> | undefined;
  private lastCheck: { at: number; status: KeychainStatus } | undefined;
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly service: string = DEFAULT_KEYCHAIN_SERVICE) {}

  private entry(account: string): AsyncEntry {
    const known = this.entries.get(account);
    if (known) return known;
    try {
      const entry = new AsyncEntry(this.service, account, this.options);
      this.entries.set(account, entry);
      return entry;
    } catch (error) {
      throw unavailable(error);
    }
  }

  /**
   * Runs one keychain call on the account's entry, at most MAX_CONCURRENT_CALLS at a time. A failed
   * entry is not trusted again, and the call is tried once more on a fresh one: an entry's Secret
   * Service session dies with the daemon ("The session does not exist"), so after the keyring daemon
   * restarts (the desktop's service manager, or D-Bus activation, starts it again) the first call on
   * every cached entry would otherwise fail although the keychain answers.
   */
  private async call<T>(account: string, work: (entry: AsyncEntry) => Promise<T>): Promise<T> {
    if (this.running >= MAX_CONCURRENT_CALLS) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running += 1;
    try {
      try {
        return await work(this.entry(account));
      } catch {
        this.entries.delete(account);
        return await work(this.entry(account));
      }
    } catch (error) {
      this.entries.delete(account);
      throw error instanceof AppFailure ? error : unavailable(error);
    } finally {
      this.running -= 1;
      this.waiting.shift()?.();
    }
  }

  async set(account: string, password: string): Promise<void> {
    await this.call(account, (entry) => entry.setPassword(password));
  }

  async get(account: string): Promise<string | null> {
    return (await this.call(account, (entry) => entry.getPassword())) ?? null;
  }

  async delete(account: string): Promise<void> {
    await this.call(account, (entry) => entry.deleteCredential());
    this.entries.delete(account);
  }

  /** Concurrent checks share one keychain call, and an answer is reused for CHECK_REUSE_MS. */
  check(): Promise<KeychainStatus> {
    if (this.lastCheck && Date.now() - this.lastCheck.at < CHECK_REUSE_MS) return Promise.resolve(this.lastCheck.status);
    this.checking ??= this.probe().then((status) => {
      this.lastCheck = { at: Date.now(), status };
      this.checking = undefined;
      return status;
    });
    return this.checking;
  }

  private async probe(): Promise<KeychainStatus> {
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
