import { z } from 'zod';
import { mailErrorSchema } from './errors';

/** Conversations, messages and agents as the renderer sees them. */

export const conversationStatusSchema = z.enum(['open', 'pending', 'closed']);
export type ConversationStatus = z.infer<typeof conversationStatusSchema>;

/** The list's status filter: one status, or `active` for the work still to do (open and pending). */
export const statusFilterSchema = z.enum(['active', 'open', 'pending', 'closed']);
export type StatusFilter = z.infer<typeof statusFilterSchema>;

/**
 * Where a conversation is kept out of the queues: `deleted` (restorable, its mail is kept) or
 * `spam` (and so is its sender's next mail, until an agent says "Not spam").
 */
export const conversationBinSchema = z.enum(['deleted', 'spam']);
export type ConversationBin = z.infer<typeof conversationBinSchema>;

/**
 * `failed`: conversations with a reply the server refused, whoever they belong to. `spam` and
 * `deleted` list what is in those bins (every status); the other views never show them.
 */
export const inboxViewSchema = z.enum(['mine', 'unassigned', 'all', 'failed', 'spam', 'deleted']);
export type InboxView = z.infer<typeof inboxViewSchema>;

export const addressSchema = z.object({ name: z.string(), address: z.string() });
export type Address = z.infer<typeof addressSchema>;

/**
 * What kind of mail a message is. Anything but `normal` never triggers anything automatic
 * (auto-replies, lists, bounces, and our own outgoing mail seen again).
 */
export const messageKindSchema = z.enum(['normal', 'auto-reply', 'list', 'bounce', 'own']);
export type MessageKind = z.infer<typeof messageKindSchema>;

export const messageDirectionSchema = z.enum(['inbound', 'outbound', 'note']);

export const attachmentSchema = z.object({
  id: z.number(),
  filename: z.string(),
  contentType: z.string(),
  size: z.number(),
  /** Shown inside the HTML body (cid:) rather than in the attachment list. */
  inline: z.boolean(),
});
export type Attachment = z.infer<typeof attachmentSchema>;

export const messageSchema = z.object({
  id: z.number(),
  conversationId: z.number(),
  direction: messageDirectionSchema,
  kind: messageKindSchema,
  from: addressSchema,
  to: z.array(addressSchema),
  cc: z.array(addressSchema),
  /** For an agent's reply sent from this desktop: the Bcc they chose (delivered, never in the headers others get). */
  bcc: z.array(addressSchema).optional(),
  /** For a forward: the id of the message it forwards. */
  forwardOf: z.number().nullable().optional(),
  /** Where the sender asked for answers (Reply-To); empty when the message had none. */
  replyTo: z.array(addressSchema),
  subject: z.string(),
  date: z.string(),
  text: z.string(),
  /** Unsanitised HTML as received; the renderer sanitises and shows it in a sandboxed frame. */
  html: z.string().nullable(),
  attachments: z.array(attachmentSchema),
  /** Set when parsing failed or timed out: the message is shown raw. */
  parseError: z.string().nullable(),
  /** For a note: the agent who wrote it. */
  authorAgentId: z.number().nullable(),
  /**
   * For a reply found in the mailbox rather than sent from this desktop (its delivery is null): the
   * agent who sent it from Auxilium, as named in the reply; null when it came from another mail client.
   */
  sentBy: z.string().nullable(),
  /** For customer mail: flagged \\Answered on the server, by whoever answered it from wherever. */
  answeredOnServer: z.boolean(),
  /** For an agent's reply: where it is on its way out; null for everything else. */
  delivery: z
    .object({
      state: z.enum(['queued', 'sending', 'sent', 'failed']),
      /** The mapped SMTP error of the last failed attempt (with cause and fix). */
      error: mailErrorSchema.nullable(),
      attempts: z.number(),
      /** When the next attempt is due (queued after a temporary failure, or the undo window). */
      nextAttemptAt: z.string().nullable(),
      /** Sent, but the server refused these recipients (each with the mapped error): they did not get it. */
      refused: z.array(z.object({ address: z.string(), error: mailErrorSchema })),
      /**
       * Sent, but its copy could not be filed in the Sent folder: where, the mapped IMAP error with
       * the server's words, and whether it is still tried again by itself. Null once it is filed.
       */
      filing: z.object({ folder: z.string(), error: mailErrorSchema, retrying: z.boolean() }).nullable(),
    })
    .nullable(),
});
export type Message = z.infer<typeof messageSchema>;
export type Delivery = NonNullable<Message['delivery']>;

export const conversationSummarySchema = z.object({
  id: z.number(),
  channelId: z.string(),
  subject: z.string(),
  customer: addressSchema,
  status: conversationStatusSchema,
  assigneeId: z.number().nullable(),
  lastMessageAt: z.string(),
  snippet: z.string(),
  unread: z.boolean(),
  messageCount: z.number(),
  /** Agents on other desktops writing a reply here right now, by name. */
  replying: z.array(z.string()).optional(),
  /** Agent replies the server refused: they need someone to act. */
  failedReplies: z.number(),
  /** Agent replies still waiting to go out (undo window, retry, or a disabled channel holding them). */
  queuedReplies: z.number(),
  /** Deleted or spam: out of the queues, in its own view. Absent: in the queues. */
  bin: conversationBinSchema.optional(),
  /**
   * Its customer's mail is on its way to the server's Trash (or Junk) folder; `error` says why the
   * last try failed (it is tried again by itself, from `nextAttemptAt`).
   */
  mailboxMove: z.object({ folder: z.enum(['trash', 'junk']), error: z.string().nullable(), nextAttemptAt: z.string().nullable() }).optional(),
});
export type ConversationSummary = z.infer<typeof conversationSummarySchema>;

export const MAX_SIGNATURE_LENGTH = 5_000;
export const agentSignatureSchema = z.string().max(MAX_SIGNATURE_LENGTH, `A signature can be at most ${MAX_SIGNATURE_LENGTH} characters`);

export const agentSchema = z.object({
  id: z.number(),
  name: z.string().trim().min(1, 'Name is required').max(200),
  email: z
    .string()
    .trim()
    .pipe(z.email({ error: 'Enter an email address like agent@example.com' })),
  /** Their own signature, above the channel's on the replies they send from this desktop ('' for none). */
  signature: agentSignatureSchema.optional(),
});
export type Agent = z.infer<typeof agentSchema>;

/** The search box takes at most this many characters; the main side refuses longer text. */
export const MAX_SEARCH_LENGTH = 500;

export const conversationListInput = z.object({
  view: inboxViewSchema,
  status: statusFilterSchema.optional(),
  channelId: z.string().optional(),
  /** Full-text search over subject, participants and bodies. */
  query: z.string().max(MAX_SEARCH_LENGTH, `Search text can be at most ${MAX_SEARCH_LENGTH} characters`).optional(),
  /** Keyset paging: pass the previous page's `nextCursor`. */
  cursor: z.string().optional(),
  limit: z.number().int().min(1).max(500).default(100),
});
export type ConversationListInput = z.input<typeof conversationListInput>;

export const conversationPageSchema = z.object({
  items: z.array(conversationSummarySchema),
  nextCursor: z.string().nullable(),
  total: z.number(),
});

const perView = z.object({ mine: z.number(), unassigned: z.number(), all: z.number() });

/**
 * `mine`, `unassigned`, `all`: open conversations; `unread`: unread ones among open and pending;
 * `failed`: conversations with a failed reply; `spam`, `deleted`: what those bins hold.
 */
export const inboxCountsSchema = perView.extend({
  unread: perView,
  failed: z.number(),
  spam: z.number(),
  deleted: z.number(),
});
export type InboxCounts = z.infer<typeof inboxCountsSchema>;

/** What a bulk action changes on each chosen conversation; at least one of them. */
export const bulkPatchSchema = z
  .object({
    status: conversationStatusSchema.optional(),
    assigneeId: z.number().int().nullable().optional(),
    unread: z.boolean().optional(),
    /** Delete or mark as spam; null restores a deleted one, or says "Not spam". */
    bin: conversationBinSchema.nullable().optional(),
  })
  .refine((p) => p.status !== undefined || p.assigneeId !== undefined || p.unread !== undefined || p.bin !== undefined, 'Choose what to change');
export type BulkPatch = z.infer<typeof bulkPatchSchema>;

export const conversationDetailSchema = z.object({
  conversation: conversationSummarySchema,
  messages: z.array(messageSchema),
});
export type ConversationDetail = z.infer<typeof conversationDetailSchema>;

/** Name and email; the signature is set on its own (agents:set-signature), by the agent it belongs to. */
export const agentInput = agentSchema.omit({ id: true, signature: true }).extend({ id: z.number().optional() });

export const settingsSchema = z.object({
  /** Which agent the person using this app is; null until they choose (the app then says "Me"). */
  meAgentId: z.number().nullable(),
});
