import { z } from 'zod';
import { channelIdSchema, channelSchema, createChannelInput, testConnectionInput, updateChannelInput } from './channel';
import {
  agentInput,
  agentSchema,
  agentSignatureSchema,
  bulkPatchSchema,
  conversationDetailSchema,
  conversationListInput,
  conversationPageSchema,
  conversationStatusSchema,
  conversationSummarySchema,
  inboxCountsSchema,
  messageSchema,
  settingsSchema,
} from './conversation';
import { draftAttachmentSchema, outgoingAttachmentSchema } from './attachments';
import { mailErrorSchema } from './errors';
import { authFormSchema } from './oauth';
import { chosenRecipientsSchema } from './recipient-list';
import { savedReplyInput, savedReplySchema } from './saved-replies';

/**
 * The one list of everything the renderer may ask of the main side, and every event it may hear.
 * Names: `domain:verb-noun` for calls, `domain:past-tense` for events.
 */

export const certificateInfoSchema = z.object({
  pem: z.string(),
  fingerprint256: z.string(),
  subject: z.string(),
  issuer: z.string(),
  validFrom: z.string(),
  validTo: z.string(),
});
export type CertificateInfo = z.infer<typeof certificateInfoSchema>;

export const probeResultSchema = z.discriminatedUnion('ok', [
  z.object({
    ok: z.literal(true),
    /** What was proven, e.g. "Logged in and opened INBOX (12 messages) over implicit TLS". */
    summary: z.string(),
  }),
  z.object({
    ok: z.literal(false),
    error: mailErrorSchema,
    /** The certificate the server showed, when it failed verification, so the admin can decide to trust it. */
    certificate: certificateInfoSchema.optional(),
  }),
]);
export type ProbeResult = z.infer<typeof probeResultSchema>;

export const connectionTestResultSchema = z.object({ imap: probeResultSchema, smtp: probeResultSchema });
export type ConnectionTestResult = z.infer<typeof connectionTestResultSchema>;

export const keychainStatusSchema = z.object({
  available: z.boolean(),
  /** Why not, and what to do, when unavailable. */
  message: z.string().optional(),
});

export const appInfoSchema = z.object({
  version: z.string(),
  dataDir: z.string(),
  keychain: keychainStatusSchema,
});
export type AppInfo = z.infer<typeof appInfoSchema>;

const empty = z.object({}).strict();

export const contract = {
  'app:get-info': { input: empty, output: appInfoSchema },
  'channels:list': { input: empty, output: z.array(channelSchema) },
  'channels:create': { input: createChannelInput, output: channelSchema },
  'channels:update': { input: updateChannelInput, output: channelSchema },
  'channels:set-enabled': { input: z.object({ id: channelIdSchema, enabled: z.boolean() }), output: channelSchema },
  'channels:delete': { input: z.object({ id: channelIdSchema }), output: z.object({ id: channelIdSchema }) },
  'channels:test-connection': { input: testConnectionInput, output: connectionTestResultSchema },
  /**
   * OAuth 2.0 sign-in in the browser. With `auth`, for the dialog's form (its blank client secret is
   * the stored one of `channelId`); without, "Sign in again" for the saved channel `channelId`.
   * `openedInBrowser` false: the caller opens `authorizationUrl` itself (web host).
   */
  'oauth:start-sign-in': {
    input: z.object({ auth: authFormSchema.optional(), channelId: channelIdSchema.optional() }),
    output: z.object({ signInId: z.string(), authorizationUrl: z.string(), openedInBrowser: z.boolean() }),
  },
  /**
   * Waits until the browser comes back and the tokens are in. With `channelId` (Sign in again) the
   * new sign-in is saved for that channel at once; otherwise the form carries `signInId` to Create.
   */
  'oauth:finish-sign-in': {
    input: z.object({ signInId: z.string().max(64), channelId: channelIdSchema.optional() }),
    output: z.object({ signInId: z.string() }),
  },
  'oauth:cancel-sign-in': { input: z.object({ signInId: z.string().max(64) }), output: z.object({}) },
  /** For a server without a Sent folder: creates one named Sent and makes it the channel's Sent folder. */
  'channels:create-sent-folder': { input: z.object({ id: channelIdSchema }), output: channelSchema },

  'conversations:list': { input: conversationListInput, output: conversationPageSchema },
  'conversations:count': { input: z.object({ channelId: z.string().optional() }), output: inboxCountsSchema },
  /** The conversation with its messages. Reading it changes nothing: opening it marks it read with `conversations:mark-read`. */
  'conversations:get': { input: z.object({ id: z.number().int() }), output: conversationDetailSchema },
  /** The agent opened the conversation: it is read on this desktop (announced with `conversations:changed` when it was unread). */
  'conversations:mark-read': { input: z.object({ id: z.number().int() }), output: z.object({}) },
  'conversations:set-status': { input: z.object({ id: z.number().int(), status: conversationStatusSchema }), output: conversationDetailSchema },
  /** agentId null puts the conversation back into the unassigned queue. */
  'conversations:assign': { input: z.object({ id: z.number().int(), agentId: z.number().int().nullable() }), output: conversationDetailSchema },
  /** One conversation's list row, without opening it (it stays unread), e.g. to name it in a notification. */
  'conversations:get-summary': { input: z.object({ id: z.number().int() }), output: conversationSummarySchema },
  /**
   * The customer's conversations (address matched without regard to case, in every channel), newest
   * first, without `excludeId` (the one being read): the reading pane's customer panel.
   */
  'conversations:list-by-customer': {
    input: z.object({
      address: z.string().trim().min(1, "Give the customer's address").max(320),
      excludeId: z.number().int().optional(),
      limit: z.number().int().min(1).max(100).default(20),
    }),
    output: z.object({ items: z.array(conversationSummarySchema), total: z.number() }),
  },
  /** Bulk actions on a multi-selection: close, reopen, assign, mark read or unread, all in one transaction. */
  'conversations:update-many': {
    input: z.object({ ids: z.array(z.number().int()).min(1, 'Choose conversations first').max(1000), patch: bulkPatchSchema }),
    output: z.object({ ids: z.array(z.number()) }),
  },
  /** Internal notes are stored with the conversation and never emailed. */
  'conversations:add-note': {
    input: z.object({ id: z.number().int(), text: z.string().trim().min(1, 'Write a note first').max(100_000) }),
    output: messageSchema,
  },
  /**
   * The composer of this conversation has text (`active`), or was emptied or sent. Other desktops
   * show "… is replying" until it stops or lapses; send it again within a minute while typing.
   */
  'conversations:set-replying': { input: z.object({ id: z.number().int(), active: z.boolean() }), output: z.object({}) },
  /** The message exactly as received, for mail that could not be parsed. */
  'messages:get-raw': { input: z.object({ id: z.number().int() }), output: z.object({ raw: z.string(), truncated: z.boolean() }) },
  /** The pictures a message's HTML shows by `cid:`, as data: URLs (raster images only, up to a size per message). */
  'messages:get-inline-images': {
    input: z.object({ id: z.number().int() }),
    output: z.array(z.object({ contentId: z.string(), dataUrl: z.string() })),
  },

  /**
   * Queues an agent's reply: stored at once (it survives a restart or being offline), sent after the
   * undo window. `reply-all` keeps the customer's Cc. The files attached to the conversation's draft
   * go with it.
   */
  'conversations:send-reply': {
    input: z
      .object({
        id: z.number().int(),
        mode: z.enum(['reply', 'reply-all', 'forward']),
        /** The agent's text; a forward may go without. */
        text: z.string().trim().max(1_000_000),
        /** How long the agent may still undo; 0 sends at once. */
        undoSeconds: z.number().int().min(0).max(30).default(5),
        /** To, Cc and Bcc as the agent edited them; without, the reply's defaults (shared/reply-recipients.ts). */
        recipients: chosenRecipientsSchema.optional(),
        /** Forward: the message of this conversation that is forwarded, with its attachments. */
        forwardOf: z.number().int().optional(),
      })
      .refine((input) => input.mode === 'forward' || input.text !== '', { path: ['text'], message: 'Write a reply first' })
      .refine((input) => input.mode !== 'forward' || input.forwardOf !== undefined, { path: ['forwardOf'], message: 'Choose the message to forward' })
      .refine((input) => input.mode !== 'forward' || (input.recipients?.to.length ?? 0) > 0, {
        path: ['recipients', 'to'],
        message: 'Enter who to forward it to',
      })
      .refine((input) => !input.recipients || input.recipients.to.length > 0, { path: ['recipients', 'to'], message: 'Enter at least one To address' }),
    output: messageSchema,
  },
  /**
   * Undo (while still queued) or take back a failed reply for editing: returns its text, and its
   * attachments, which are back in the conversation's draft; the message is gone.
   */
  'outbox:cancel': {
    input: z.object({ messageId: z.number().int() }),
    output: z.object({ text: z.string(), attachments: z.array(draftAttachmentSchema) }),
  },
  /** Try a failed reply again now. */
  'outbox:retry': { input: z.object({ messageId: z.number().int() }), output: messageSchema },
  /** The draft's text and attached files, in the order they were attached. */
  'drafts:get': {
    input: z.object({ conversationId: z.number().int() }),
    output: z.object({ text: z.string(), attachments: z.array(draftAttachmentSchema) }),
  },
  'drafts:save': { input: z.object({ conversationId: z.number().int(), text: z.string().max(1_000_000) }), output: z.object({}) },
  /** Stores one file with the draft at once; refused when the draft's files would pass the total limit. */
  'drafts:add-attachment': {
    input: outgoingAttachmentSchema.extend({ conversationId: z.number().int() }),
    output: draftAttachmentSchema,
  },
  /** Removes a file from its draft, and deletes it. */
  'drafts:remove-attachment': { input: z.object({ id: z.number().int() }), output: z.object({}) },

  'agents:list': { input: empty, output: z.array(agentSchema) },
  'agents:save': { input: agentInput, output: agentSchema },
  /** The agent's own signature, above the channel's on their replies; kept on this desktop only. */
  'agents:set-signature': { input: z.object({ id: z.number().int(), signature: agentSignatureSchema }), output: agentSchema },
  'agents:delete': { input: z.object({ id: z.number().int() }), output: z.object({ id: z.number().int() }) },
  'saved-replies:list': { input: empty, output: z.array(savedReplySchema) },
  'saved-replies:save': { input: savedReplyInput, output: savedReplySchema },
  'saved-replies:delete': { input: z.object({ id: z.number().int() }), output: z.object({ id: z.number().int() }) },
  'settings:get': { input: empty, output: settingsSchema },
  'settings:set-me': { input: z.object({ agentId: z.number().int().nullable() }), output: settingsSchema },
} as const;

export const events = {
  /** A channel was created, changed, enabled, disabled, deleted, or its connection state moved. */
  'channels:changed': z.object({ channels: z.array(channelSchema) }),
  /** Conversations were created or changed (new mail, status, assignment, notes); `created` are new ones. */
  'conversations:changed': z.object({
    ids: z.array(z.number()),
    created: z.array(z.number()),
    /** Existing conversations a customer wrote to again (not auto-replies or lists). */
    replied: z.array(z.number()).optional(),
    /** Conversations where an agent's reply just failed for good. */
    failed: z.array(z.number()).optional(),
  }),
  /** Agents or the "who am I" setting changed. */
  'agents:changed': z.object({}),
  /** A saved reply was added, changed or deleted. */
  'saved-replies:changed': z.object({}),
} as const;

export type Contract = typeof contract;
export type ChannelName = keyof Contract;
export type Input<K extends ChannelName> = z.input<Contract[K]['input']>;
export type ParsedInput<K extends ChannelName> = z.infer<Contract[K]['input']>;
export type Output<K extends ChannelName> = z.infer<Contract[K]['output']>;
export type EventName = keyof typeof events;
export type EventPayload<E extends EventName> = z.infer<(typeof events)[E]>;

export const channelNames = Object.keys(contract) as ChannelName[];
export const eventNames = Object.keys(events) as EventName[];

export function isChannelName(name: unknown): name is ChannelName {
  return typeof name === 'string' && Object.hasOwn(contract, name);
}

/** What preload exposes as `window.auxilium`, and what the web transport imitates. */
export interface AuxiliumApi {
  invoke<K extends ChannelName>(channel: K, input: Input<K>): Promise<import('./errors').Result<Output<K>>>;
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
}
