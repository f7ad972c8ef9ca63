import { randomUUID } from 'node:crypto';
import type { Channel, ChannelForm, ChannelNotice, ChannelNoticeKind, ChannelStatus } from '../../../shared/channel';
import { storedAuthSchema, type AuthForm } from '../../../shared/oauth';
import type { ConnectionTestResult } from '../../../shared/contract';
import type { TeamSyncStatus } from '../../../shared/team-events';
import { AppFailure, notFound } from '../../../shared/errors';
import type { EventBus } from '../events/event-bus';
import { credentialAccount, type CredentialStore } from '../credentials/credential-store';
import type { AccessTokenSource } from '../mail-login';
import type { OAuthClient, OAuthService } from '../oauth/oauth-service';
import { OAuthFailure, toAppFailure } from '../oauth/oauth-failure';
import { settingsWithoutPasswords, type ChannelRepo, type ChannelRecord } from '../store/channel-repo';

/**
 * A channel's settings with both passwords or, for OAuth, the channel's token source, for the code
 * that connects (watcher, sender, Test Connection).
 */
export type ChannelLogin = Omit<ChannelForm, 'imap' | 'smtp'> & {
  imap: ChannelForm['imap'] & { tokens?: AccessTokenSource };
  smtp: ChannelForm['smtp'] & { tokens?: AccessTokenSource };
};
export type ChannelWithSecrets = ChannelLogin & { id: string };

/**
 * The hook the mailbox watcher plugs into: the channel service calls `start` when a channel becomes
 * active (created enabled, enabled, or edited while enabled) and `stop` when it stops being active.
 * The watcher reports its state back through `setStatus`.
 */
export interface MailboxWatchers {
  start(channel: ChannelWithSecrets, setStatus: (status: Omit<ChannelStatus, 'since'>) => void): void;
  stop(channelId: string): Promise<void>;
}

export type ConnectionTester = (values: ChannelLogin) => Promise<ConnectionTestResult>;

export interface ChannelServiceDeps {
  repo: ChannelRepo;
  credentials: CredentialStore;
  events: EventBus;
  watchers: MailboxWatchers;
  /** How the channel's team folder stands, for its card. */
  teamStatus?: (id: string) => TeamSyncStatus | undefined;
  testConnection: ConnectionTester;
  oauth: OAuthService;
  now?: () => Date;
}

const PROTOCOLS = ['imap', 'smtp'] as const;

/**
 * A stored password was given to one server, as one user, over one kind of connection. A blank
 * password field means "keep it" only while all of that is unchanged; otherwise the saved password
 * would go to a server (or in a form) its owner never chose, so the admin must type it again.
 */
function refuseStoredPasswordForAnotherServer(stored: ChannelRecord, form: ChannelForm): void {
  const fields = PROTOCOLS.filter((protocol) => {
    const before = stored[protocol];
    const after = form[protocol];
    const sameServer =
      before.host.toLowerCase() === after.host.toLowerCase() &&
      before.port === after.port &&
      before.username === after.username &&
      before.tls === after.tls &&
      before.tlsMode === after.tlsMode;
    return after.password === '' && !sameServer;
  }).map((protocol) => ({ path: `${protocol}.password`, message: 'Enter the password again: the server changed' }));
  if (fields.length === 0) return;
  throw new AppFailure({
    code: 'VALIDATION_FAILED',
    message: `${fields[0]!.path}: ${fields[0]!.message}`,
    hint: 'A saved password is only used with the server, user name and security it was saved for.',
    retryable: false,
    fields,
  });
}

/**
 * A stored sign-in (refresh token) belongs to the provider and app registration it was made with:
 * switching to OAuth, or to another provider, tenant, issuer or client, needs a new sign-in.
 */
function refuseStoredSignInForAnotherApp(stored: ChannelRecord, form: ChannelForm): void {
  const auth = form.auth;
  if (auth.method !== 'oauth2' || auth.flow !== 'interactive' || auth.signInId) return;
  const before = stored.auth;
  const sameApp =
    before.method === 'oauth2' &&
    before.flow === 'interactive' &&
    before.provider === auth.provider &&
    before.tenant === auth.tenant &&
    before.issuer === auth.issuer &&
    before.clientId === auth.clientId;
  if (sameApp) return;
  const field = { path: 'auth.signInId', message: 'Sign in again: the sign-in settings changed' };
  throw new AppFailure({
    code: 'VALIDATION_FAILED',
    message: `${field.path}: ${field.message}`,
    hint: 'A saved sign-in is only used with the provider and app it was made with.',
    retryable: false,
    fields: [field],
  });
}

export class ChannelService {
  private readonly statuses = new Map<string, ChannelStatus>();
  /**
   * OAuth channels whose sign-in stopped working. A session that logged in earlier may still be
   * connected, but the card keeps saying "Sign in again" until someone does.
   */
  private readonly signedOut = new Map<string, string>();
  /** Per channel, the notices its card shows (at most one of each kind); they last until this process ends or a report clears them. */
  private readonly notices = new Map<string, Map<ChannelNoticeKind, ChannelNotice>>();
  private readonly now: () => Date;

  constructor(private readonly deps: ChannelServiceDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /** Starts watching every enabled channel; called once when the app starts. */
  async start(): Promise<void> {
    for (const record of this.deps.repo.list()) {
      if (record.enabled) await this.activate(record);
    }
  }

  async stop(): Promise<void> {
    for (const record of this.deps.repo.list()) {
      if (record.enabled) await this.deps.watchers.stop(record.id);
    }
  }

  list(): Channel[] {
    return this.deps.repo.list().map((record) => this.toChannel(record));
  }

  get(id: string): Channel {
    return this.toChannel(this.record(id));
  }

  async create(form: ChannelForm): Promise<Channel> {
    const id = randomUUID();
    // Secrets first: if the keychain refuses, nothing is saved and the admin sees why.
    await this.saveSecrets(id, form);
    const timestamp = this.now().toISOString();
    const record: ChannelRecord = {
      id,
      name: form.name,
      type: form.type,
      enabled: true,
      supportAddress: form.supportAddress,
      ...settingsWithoutPasswords(form),
      createdAt: timestamp,
      updatedAt: timestamp,
    };
    try {
      this.deps.repo.save(record);
    } catch (error) {
      await this.deleteSecrets(id).catch(() => undefined);
      throw error;
    }
    await this.activate(record);
    this.announce();
    return this.toChannel(record);
  }

  /**
   * A blank password keeps the stored one, as long as it still goes to the same server; a blank
   * client secret keeps the stored one.
   */
  async update(id: string, form: ChannelForm): Promise<Channel> {
    const previous = this.record(id);
    if (form.auth.method === 'basic') refuseStoredPasswordForAnotherServer(previous, form);
    refuseStoredSignInForAnotherApp(previous, form);
    await this.saveSecrets(id, form);
    // Back to passwords: the refresh token and client secret have no use any more.
    if (previous.auth.method === 'oauth2' && form.auth.method === 'basic') await this.deps.oauth.forget(id);
    // New settings get a new token source: whether they sign in is the watcher's to find out.
    this.signedOut.delete(id);
    const record: ChannelRecord = {
      ...previous,
      name: form.name,
      supportAddress: form.supportAddress,
      ...settingsWithoutPasswords(form),
      updatedAt: this.now().toISOString(),
    };
    this.deps.repo.save(record);
    if (record.enabled) {
      // New settings take effect at once: the watcher reconnects with them.
      await this.deps.watchers.stop(id);
      await this.activate(record);
    }
    this.announce();
    return this.toChannel(record);
  }

  async setEnabled(id: string, enabled: boolean): Promise<Channel> {
    const previous = this.record(id);
    if (previous.enabled === enabled) return this.toChannel(previous);
    const record = { ...previous, enabled, updatedAt: this.now().toISOString() };
    this.deps.repo.save(record);
    if (enabled) {
      await this.activate(record);
    } else {
      await this.deps.watchers.stop(id);
      this.statuses.delete(id);
    }
    this.announce();
    return this.toChannel(record);
  }

  async delete(id: string): Promise<void> {
    this.record(id);
    await this.deps.watchers.stop(id);
    // The row goes only after the keychain entries are gone, so a keychain failure leaves the channel
    // visible and deletable again rather than orphaning its passwords.
    await this.deleteSecrets(id);
    this.deps.repo.delete(id);
    this.statuses.delete(id);
    this.signedOut.delete(id);
    this.notices.delete(id);
    this.announce();
  }

  /**
   * Tests the unsaved form. When editing, blank passwords (or client secret) are filled from the
   * keychain. With OAuth, the tokens come from the form's sign-in, from client credentials, or from
   * the saved channel's sign-in.
   */
  async testConnection(values: ChannelForm, channelId?: string): Promise<ConnectionTestResult> {
    if (values.auth.method === 'oauth2') {
      const tokens = await this.formTokens(values.auth, channelId);
      return this.deps.testConnection({ ...values, imap: { ...values.imap, tokens }, smtp: { ...values.smtp, tokens } });
    }
    if (channelId) refuseStoredPasswordForAnotherServer(this.record(channelId), values);
    const filled = channelId ? await this.fillStoredPasswords(channelId, values) : values;
    return this.deps.testConnection(filled);
  }

  /** The OAuth client of a form (its blank secret filled from the keychain), or of the saved channel. */
  async oauthClient(auth: AuthForm | undefined, channelId: string | undefined): Promise<OAuthClient> {
    const stored = auth ? storedAuthSchema.parse(auth) : this.record(channelId ?? '').auth;
    const typed = auth?.clientSecret ?? '';
    return { ...stored, clientSecret: typed || (channelId ? await this.deps.oauth.storedClientSecret(channelId) : '') };
  }

  /** "Sign in again": the new sign-in replaces the stored one and the channel starts over with it. */
  async signedIn(id: string, signInId: string): Promise<void> {
    const record = this.record(id);
    try {
      await this.deps.oauth.saveForChannel(id, await this.oauthClient(undefined, id), signInId);
    } catch (error) {
      throw toAppFailure(error);
    }
    this.signedOut.delete(id);
    if (record.enabled) {
      await this.deps.watchers.stop(id);
      await this.activate(record);
    }
    this.announce();
  }

  /** The channel's sign-in stopped working (seen by the watcher, the outbox or a test): say so on its card. */
  signInLost(id: string, message: string): void {
    if (!this.deps.repo.get(id)?.enabled) return;
    this.signedOut.set(id, message);
    this.setStatus(id, { state: 'sign-in-required', message });
    this.announce();
  }

  private async formTokens(auth: AuthForm, channelId: string | undefined): Promise<AccessTokenSource> {
    const { oauth } = this.deps;
    if (auth.signInId) return oauth.signInTokens(auth.signInId);
    if (auth.flow === 'app-only') return oauth.appOnlyTokens(await this.oauthClient(auth, channelId));
    const record = channelId ? this.deps.repo.get(channelId) : undefined;
    if (record?.auth.method === 'oauth2') return oauth.channelTokens(record.id, record.auth);
    const notSignedIn = new OAuthFailure('OAUTH_SIGN_IN_FAILED', 'Not signed in yet: click Sign in first');
    return { get: () => Promise.reject(notSignedIn), refused: () => undefined };
  }

  /** Settings with passwords or the token source, for the watcher and the sender. Never leaves the main side. */
  async withSecrets(id: string): Promise<ChannelWithSecrets> {
    const record = this.record(id);
    const base = {
      id,
      name: record.name,
      type: record.type,
      supportAddress: record.supportAddress,
      inbox: record.inbox,
      auth: { ...record.auth, clientSecret: '', signInId: '' },
    };
    if (record.auth.method === 'oauth2') {
      const tokens = this.deps.oauth.channelTokens(id, record.auth);
      return { ...base, imap: { ...record.imap, password: '', tokens }, smtp: { ...record.smtp, password: '', tokens } };
    }
    const imapPassword = (await this.deps.credentials.get(credentialAccount(id, 'imap'))) ?? '';
    const smtpPassword = (await this.deps.credentials.get(credentialAccount(id, 'smtp'))) ?? '';
    return { ...base, imap: { ...record.imap, password: imapPassword }, smtp: { ...record.smtp, password: smtpPassword } };
  }

  private async fillStoredPasswords(id: string, values: ChannelForm): Promise<ChannelForm> {
    const filled = { ...values, imap: { ...values.imap }, smtp: { ...values.smtp } };
    for (const protocol of PROTOCOLS) {
      if (filled[protocol].password === '') {
        filled[protocol].password = (await this.deps.credentials.get(credentialAccount(id, protocol))) ?? '';
      }
    }
    return filled;
  }

  private async activate(record: ChannelRecord): Promise<void> {
    this.setStatus(record.id, { state: 'starting', message: `Watching ${record.imap.mailbox}` });
    let channel: ChannelWithSecrets;
    try {
      channel = await this.withSecrets(record.id);
    } catch (error) {
      // The channel stays enabled; the card says why it cannot watch, and enabling again retries.
      const reason = error instanceof AppFailure ? error.error.message : String(error);
      this.setStatus(record.id, { state: 'error', message: `Cannot read the mail passwords: ${reason}` });
      return;
    }
    this.deps.watchers.start(channel, (status) => {
      const signedOut = this.signedOut.get(record.id);
      this.setStatus(record.id, signedOut && status.state !== 'sign-in-required' ? { state: 'sign-in-required', message: signedOut } : status);
      this.announce();
    });
  }

  /** Files copies of replies into `folder` from now on; the card stops saying there is no Sent folder. */
  setSentFolder(id: string, folder: string): Channel {
    const previous = this.record(id);
    const record = { ...previous, inbox: { ...previous.inbox, sentFolder: folder }, updatedAt: this.now().toISOString() };
    this.deps.repo.save(record);
    this.notices.get(id)?.delete('no-sent-folder');
    this.announce();
    return this.toChannel(record);
  }

  /** Shows a notice on the channel's card (replacing one of its kind), or, with `null`, takes that kind off. */
  setNotice(id: string, kind: ChannelNoticeKind, notice: ChannelNotice | null): void {
    if (!this.deps.repo.get(id)) return;
    const current = this.notices.get(id) ?? new Map<ChannelNoticeKind, ChannelNotice>();
    if (JSON.stringify(current.get(kind) ?? null) === JSON.stringify(notice)) return;
    if (notice) current.set(kind, notice);
    else current.delete(kind);
    this.notices.set(id, current);
    this.announce();
  }

  private setStatus(id: string, status: Omit<ChannelStatus, 'since'>): void {
    const previous = this.statuses.get(id);
    const unchanged = previous && previous.state === status.state && previous.message === status.message;
    if (!unchanged) this.statuses.set(id, { ...status, since: this.now().toISOString() });
    else if (previous.sent?.watched !== status.sent?.watched || previous.sent?.message !== status.sent?.message) {
      this.statuses.set(id, { ...previous, ...status, since: previous.since });
    }
  }

  private async saveSecrets(id: string, form: ChannelForm): Promise<void> {
    if (form.auth.method === 'oauth2') {
      try {
        await this.deps.oauth.saveForChannel(id, { ...storedAuthSchema.parse(form.auth), clientSecret: form.auth.clientSecret }, form.auth.signInId);
      } catch (error) {
        throw toAppFailure(error);
      }
      return;
    }
    for (const protocol of PROTOCOLS) {
      const password = form[protocol].password;
      if (password !== '') await this.deps.credentials.set(credentialAccount(id, protocol), password);
    }
  }

  private async deleteSecrets(id: string): Promise<void> {
    for (const protocol of PROTOCOLS) await this.deps.credentials.delete(credentialAccount(id, protocol));
    await this.deps.oauth.forget(id);
  }

  private record(id: string): ChannelRecord {
    const record = this.deps.repo.get(id);
    if (!record) {
      throw notFound('channel');
    }
    return record;
  }

  private toChannel(record: ChannelRecord): Channel {
    const status: ChannelStatus = record.enabled
      ? (this.statuses.get(record.id) ?? { state: 'starting', message: `Watching ${record.imap.mailbox}`, since: record.updatedAt })
      : { state: 'disabled', message: 'Disabled: the mailbox is not being watched', since: record.updatedAt };
    return {
      id: record.id,
      name: record.name,
      type: record.type,
      enabled: record.enabled,
      supportAddress: record.supportAddress,
      // hasPassword is true by construction: a channel cannot be created without both passwords
      // (an OAuth channel has none, and signs in instead).
      imap: { ...record.imap, hasPassword: record.auth.method === 'basic' },
      smtp: { ...record.smtp, hasPassword: record.auth.method === 'basic' },
      inbox: record.inbox,
      auth: record.auth,
      status,
      ...(record.enabled && this.deps.teamStatus?.(record.id) ? { team: this.deps.teamStatus(record.id) } : {}),
      notices: [...(this.notices.get(record.id)?.values() ?? [])],
      createdAt: record.createdAt,
      updatedAt: record.updatedAt,
    };
  }

  /** Tells the renderer how every channel stands now. */
  announce(): void {
    this.deps.events.emit('channels:changed', { channels: this.list() });
  }
}
