import { z } from 'zod';
import { teamSyncStatusSchema } from './team-events';
import { authFormSchema, authIssues, DEFAULT_AUTH, storedAuthSchema } from './oauth';
import { mailErrorSchema } from './errors';
import { SENDER_CHECKS } from './sender-authentication';

/**
 * Email channel schemas. The Create Channel form (renderer) and the main side validate with these
 * same schemas, so a value the form accepts is a value the main side accepts.
 */

const PORT_MESSAGE = 'Port must be a whole number from 1 to 65535';

export const hostSchema = z
  .string()
  .trim()
  .min(1, 'Host is required')
  .max(253, 'Host is too long')
  .regex(/^[A-Za-z0-9.\-:[\]]+$/, 'Enter only the host name, e.g. imap.example.com (no spaces, no imap:// prefix, no port)');

export const portSchema = z.number({ error: PORT_MESSAGE }).int(PORT_MESSAGE).min(1, PORT_MESSAGE).max(65535, PORT_MESSAGE);

export const emailAddressSchema = z
  .string()
  .trim()
  .min(1, 'Email address is required')
  .pipe(z.email({ error: 'Enter an email address like support@example.com' }));

/**
 * On submit a blank password means "keep the stored one" when editing, and is an error when creating
 * (see createChannelInput). Passwords are not trimmed: spaces can be part of them.
 */
const passwordSchema = z.string().max(1024, 'Password is too long');

/**
 * With TLS on, 993/465 mean implicit TLS and every other port means STARTTLS (required, never a
 * silent downgrade). `tlsMode` lets an admin override that guess for servers on unusual ports.
 */
export const tlsModeSchema = z.enum(['auto', 'implicit', 'starttls']);
export type TlsModeSetting = z.infer<typeof tlsModeSchema>;

/** A certificate the admin chose to trust for this channel although no public authority vouches for it. */
export const trustedCertificateSchema = z.object({
  pem: z.string().min(1).max(20000),
  fingerprint256: z.string().min(1),
});
export type TrustedCertificate = z.infer<typeof trustedCertificateSchema>;

const serverFields = {
  host: hostSchema,
  port: portSchema,
  username: z.string().trim().min(1, 'Username is required').max(320),
  password: passwordSchema,
  tls: z.boolean(),
  tlsMode: tlsModeSchema,
  trustedCertificate: trustedCertificateSchema.nullable(),
};

export const imapFormSchema = z.object({
  ...serverFields,
  mailbox: z.string().trim().min(1, 'Mailbox is required').max(512),
});

export const smtpFormSchema = z.object({
  ...serverFields,
  fromName: z.string().trim().max(200),
  fromAddress: emailAddressSchema,
});

export const channelTypeSchema = z.enum(['email']);

const POLL_MESSAGE = 'Poll interval must be a whole number of seconds from 10 to 3600';

/** How the app treats the mailbox and new conversations; every field has a safe default. */
export const inboxSettingsSchema = z.object({
  /** Poll as a fallback to IDLE (servers without IDLE, a stalled session). */
  pollIntervalSeconds: z.number({ error: POLL_MESSAGE }).int(POLL_MESSAGE).min(10, POLL_MESSAGE).max(3600, POLL_MESSAGE),
  /** How much existing mail a new channel imports: none, the last 14 days, or all. */
  initialImport: z.enum(['none', '14-days', 'all']),
  /** Opt-in: mark imported mail as read on the server. Off, the mailbox is never changed. */
  markSeenOnServer: z.boolean(),
  /** New conversations go to the unassigned queue, or round-robin among `agentIds`. */
  routing: z.enum(['unassigned', 'round-robin']),
  agentIds: z.array(z.number().int()),
  /** Appended to every reply, below a "-- " line. */
  signature: z.string().max(5000, 'Signature is too long'),
  /**
   * Where a copy of each reply goes: '' finds the folder marked \\Sent on the server, 'none' skips
   * it (providers such as Gmail file sent mail themselves), anything else is a folder name.
   */
  sentFolder: z.string().max(512),
  /** Provider send limit per minute (Microsoft 365: 30); 0 means no limit. Replies queue rather than fail. */
  sendRatePerMinute: z.number().int().min(0).max(10_000),
  /**
   * The folder of the mailbox where the team's desktops share notes, statuses, assignments and the
   * roster: '' is "Auxilium Team" under the server's personal namespace (e.g. "INBOX.Auxilium Team"),
   * 'none' keeps all of that on this desktop only, anything else is a folder name.
   */
  teamFolder: z.string().trim().max(512, 'Folder name is too long'),
  /** Replying to an unassigned conversation assigns it to the agent who replied. */
  assignOnReply: z.boolean(),
  /** Replying sets the conversation to pending (waiting on the customer); their answer opens it again. */
  pendingOnReply: z.boolean(),
  /** Opt-in: deleting a conversation moves its customer's mail to the server's Trash folder. */
  trashOnDelete: z.boolean(),
  /** Where deleted mail goes: '' is the folder the server marks \\Trash, anything else a folder name. */
  trashFolder: z.string().trim().max(512, 'Folder name is too long'),
  /** Opt-in: marking a conversation as spam moves its customer's mail to the folder the server marks \\Junk. */
  junkOnSpam: z.boolean(),
});
export type InboxSettings = z.infer<typeof inboxSettingsSchema>;

export const DEFAULT_INBOX_SETTINGS: InboxSettings = {
  pollIntervalSeconds: 60,
  initialImport: '14-days',
  markSeenOnServer: false,
  routing: 'unassigned',
  agentIds: [],
  signature: '',
  sentFolder: '',
  sendRatePerMinute: 0,
  teamFolder: '',
  assignOnReply: true,
  pendingOnReply: true,
  trashOnDelete: false,
  trashFolder: '',
  junkOnSpam: false,
};

export const channelFormSchema = z
  .object({
    name: z.string().trim().min(1, 'Channel Name is required').max(100, 'Channel Name is too long'),
    type: channelTypeSchema,
    imap: imapFormSchema,
    smtp: smtpFormSchema,
    supportAddress: emailAddressSchema,
    inbox: inboxSettingsSchema.default(DEFAULT_INBOX_SETTINGS),
    /** How IMAP and SMTP sign in: the passwords below, or OAuth 2.0. */
    auth: authFormSchema.default(DEFAULT_AUTH),
  })
  .superRefine((form, ctx) => {
    for (const issue of authIssues(form.auth)) ctx.addIssue({ code: 'custom', ...issue });
  });
export type ChannelForm = z.infer<typeof channelFormSchema>;
export type ChannelFormInput = z.input<typeof channelFormSchema>;
export type ImapForm = z.infer<typeof imapFormSchema>;
export type SmtpForm = z.infer<typeof smtpFormSchema>;

const PASSWORD_REQUIRED = 'Password is required';

/**
 * Creating needs both passwords, or with OAuth a completed sign-in (or, app-only, the client secret);
 * editing keeps a stored password or secret when the field is left blank.
 */
export const createChannelInput = channelFormSchema.superRefine((form, ctx) => {
  if (form.auth.method === 'oauth2') {
    if (form.auth.flow === 'interactive' && form.auth.signInId === '') {
      ctx.addIssue({ code: 'custom', path: ['auth', 'signInId'], message: 'Sign in with the mailbox account first' });
    }
    if (form.auth.flow === 'app-only' && form.auth.clientSecret === '') {
      ctx.addIssue({ code: 'custom', path: ['auth', 'clientSecret'], message: 'Client secret is required for app-only access' });
    }
    return;
  }
  for (const protocol of ['imap', 'smtp'] as const) {
    if (form[protocol].password === '') {
      ctx.addIssue({ code: 'custom', path: [protocol, 'password'], message: PASSWORD_REQUIRED });
    }
  }
});

export const channelIdSchema = z.string().min(1).max(64);

export const updateChannelInput = z.object({ id: channelIdSchema, values: channelFormSchema });

/**
 * Test Connection runs on the unsaved form. When editing, a blank password means "use the stored
 * one", so the channel id comes along.
 */
export const testConnectionInput = z.object({
  values: channelFormSchema,
  channelId: channelIdSchema.optional(),
});

export function defaultChannelForm(): ChannelForm {
  return {
    name: '',
    type: 'email',
    imap: { host: '', port: 993, username: '', password: '', tls: true, tlsMode: 'auto', trustedCertificate: null, mailbox: 'INBOX' },
    smtp: {
      host: '',
      port: 587,
      username: '',
      password: '',
      tls: true,
      tlsMode: 'auto',
      trustedCertificate: null,
      fromName: '',
      fromAddress: '',
    },
    supportAddress: '',
    inbox: { ...DEFAULT_INBOX_SETTINGS, agentIds: [] },
    auth: { ...DEFAULT_AUTH },
  };
}

// ---- The channel as the main side reports it: passwords are replaced by hasPassword. ----

const publicServer = {
  host: z.string(),
  port: z.number(),
  username: z.string(),
  hasPassword: z.boolean(),
  tls: z.boolean(),
  tlsMode: tlsModeSchema,
  trustedCertificate: trustedCertificateSchema.nullable(),
};

/** sign-in-required: an OAuth channel whose sign-in is no longer valid; it waits for "Sign in again". */
export const channelStateSchema = z.enum(['disabled', 'starting', 'connected', 'syncing', 'retrying', 'error', 'sign-in-required']);
export type ChannelState = z.infer<typeof channelStateSchema>;

export const channelStatusSchema = z.object({
  state: channelStateSchema,
  /** One line for the card, e.g. "Watching INBOX" or "Authentication failed — retrying in 30 s". */
  message: z.string(),
  /**
   * The second session, on the Sent folder, that shows replies sent from anywhere: watched or not,
   * and one line saying which folder or why not. Absent until it has reported.
   */
  sent: z.object({ watched: z.boolean(), message: z.string() }).optional(),
  since: z.string(),
});
export type ChannelStatus = z.infer<typeof channelStatusSchema>;

/**
 * Something about the channel's server the admin should know, shown on the card beside the status:
 * - sent-copy-failed: replies go out, but their copies could not be filed (the mapped IMAP error
 *   with the server's words); they are filed by themselves once the server takes them;
 * - no-sent-folder: the server has no folder marked Sent, so copies of replies are not filed at all;
 * - idle-silent: the server accepts IDLE but did not tell about mail the poll then found, so new
 *   mail is only seen every pollSeconds;
 * - sender-not-authenticated: a reply was refused because SPF, DKIM or DMARC failed for the From
 *   domain (`checks` says which); it lasts until a reply of the channel is accepted again.
 */
export const channelNoticeSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('sent-copy-failed'), folder: z.string(), error: mailErrorSchema }),
  z.object({ kind: z.literal('no-sent-folder') }),
  z.object({ kind: z.literal('idle-silent'), pollSeconds: z.number() }),
  z.object({ kind: z.literal('sender-not-authenticated'), domain: z.string(), checks: z.array(z.enum(SENDER_CHECKS)), error: mailErrorSchema }),
]);
export type ChannelNotice = z.infer<typeof channelNoticeSchema>;
export type ChannelNoticeKind = ChannelNotice['kind'];

export const channelSchema = z.object({
  id: channelIdSchema,
  name: z.string(),
  type: channelTypeSchema,
  enabled: z.boolean(),
  imap: z.object({ ...publicServer, mailbox: z.string() }),
  smtp: z.object({ ...publicServer, fromName: z.string(), fromAddress: z.string() }),
  supportAddress: z.string(),
  inbox: inboxSettingsSchema,
  auth: storedAuthSchema,
  status: channelStatusSchema,
  /** How sharing team state through the mailbox stands (absent while disabled). */
  team: teamSyncStatusSchema.optional(),
  notices: z.array(channelNoticeSchema),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Channel = z.infer<typeof channelSchema>;

/** The form values for editing a channel: everything but the passwords, which stay blank. */
export function channelToForm(channel: Channel): ChannelForm {
  const { hasPassword: _imapHas, ...imap } = channel.imap;
  const { hasPassword: _smtpHas, ...smtp } = channel.smtp;
  return {
    name: channel.name,
    type: channel.type,
    imap: { ...imap, password: '' },
    smtp: { ...smtp, password: '' },
    supportAddress: channel.supportAddress,
    inbox: channel.inbox,
    auth: { ...storedAuthSchema.parse(channel.auth), clientSecret: '', signInId: '' },
  };
}

// ---- TLS semantics shared by the form's hints and the connection code. ----

export type Protocol = 'imap' | 'smtp';
export type TlsMode = 'implicit' | 'starttls' | 'none';

const IMPLICIT_TLS_PORT: Record<Protocol, number> = { imap: 993, smtp: 465 };

export function resolveTlsMode(protocol: Protocol, settings: { port: number; tls: boolean; tlsMode: TlsModeSetting }): TlsMode {
  if (!settings.tls) return 'none';
  if (settings.tlsMode !== 'auto') return settings.tlsMode;
  return settings.port === IMPLICIT_TLS_PORT[protocol] ? 'implicit' : 'starttls';
}

export function describeTlsMode(mode: TlsMode): string {
  switch (mode) {
    case 'implicit':
      return 'Implicit TLS: the connection is encrypted from the first byte.';
    case 'starttls':
      return 'STARTTLS: the connection is upgraded to TLS before login; the app refuses to continue unencrypted.';
    case 'none':
      return 'TLS/SSL is off: your password and messages travel unencrypted. Use this only on a trusted network.';
  }
}

// ---- Presets from the product guide. ----

export const presetIdSchema = z.enum(['gmail', 'microsoft365', 'custom']);
export type PresetId = z.infer<typeof presetIdSchema>;

export interface ProviderPreset {
  id: PresetId;
  label: string;
  imap?: { host: string; port: number; tls: boolean };
  smtp?: { host: string; port: number; tls: boolean };
  /** Gmail files what its SMTP server sends by itself; a copy of ours would be a duplicate. */
  sentFolder?: string;
  notes: string[];
}

export const PROVIDER_PRESETS: readonly ProviderPreset[] = [
  {
    id: 'gmail',
    label: 'Gmail',
    imap: { host: 'imap.gmail.com', port: 993, tls: true },
    smtp: { host: 'smtp.gmail.com', port: 587, tls: true },
    sentFolder: 'none',
    notes: [
      'Gmail requires an app password: generate one at myaccount.google.com/apppasswords (needs 2-factor authentication). Your regular Google password will not work.',
      'Enable IMAP in Gmail: Settings > Forwarding and POP/IMAP > Enable IMAP.',
      'Use your full Gmail address as the username for IMAP and SMTP.',
    ],
  },
  {
    id: 'microsoft365',
    label: 'Microsoft 365',
    imap: { host: 'outlook.office365.com', port: 993, tls: true },
    smtp: { host: 'smtp.office365.com', port: 587, tls: true },
    notes: [
      'Microsoft is phasing out basic authentication for Exchange Online. If your organization has disabled it, ask your Microsoft 365 administrator (OAuth 2.0 is needed then).',
      'For service accounts, SMTP AUTH may need to be enabled in the Exchange admin center.',
      'Use your full email address as the username; the password is the account password or an app password.',
    ],
  },
  {
    id: 'custom',
    label: 'Custom',
    notes: [
      'Use the connection details from your mail server documentation: IMAP on port 993 with TLS/SSL on (or 143 with STARTTLS), SMTP on port 587 with STARTTLS (or 465 with implicit TLS).',
    ],
  },
];

/**
 * The channel's own addresses: the support address, the SMTP From address and the IMAP user name
 * when it is an address. Never a recipient of our own reply; mail from them (another agent, the
 * Sent folder) belongs to the conversation it answers.
 */
export function channelOwnAddresses(channel: { supportAddress: string; smtp: { fromAddress: string }; imap: { username: string } }): string[] {
  return [channel.supportAddress, channel.smtp.fromAddress, channel.imap.username].filter((address) => address.includes('@'));
}
