import { z } from 'zod';
import { conversationBinSchema, conversationStatusSchema } from './conversation';

/**
 * What the desktops of one team tell each other through the team folder of their shared mailbox.
 * Each message in that folder carries one of these as its application/json part; anything that
 * does not pass these schemas is left on the server, logged and ignored.
 */

/**
 * A conversation as every desktop can name it: `id:` + the normalised Message-ID of its earliest
 * customer message, or `key:` + that message's content key when it has no Message-ID. Local row
 * ids differ per desktop and never travel.
 */
export const conversationRefSchema = z
  .string()
  .regex(/^(id|key):.+/)
  .max(2000);

const email = z.string().trim().toLowerCase().pipe(z.email());

const envelope = {
  v: z.literal(1),
  /** Unique per event (a UUID): a note or a change arriving twice counts once. */
  id: z.uuid(),
  /** When it was made, by the author's clock; the server's arrival time orders it. */
  at: z.iso.datetime(),
  /** The agent who made it (their email), or '' when the desktop has not said who its user is. */
  by: z.union([email, z.literal('')]),
};

export const noteAddedSchema = z.object({
  ...envelope,
  type: z.literal('note.added'),
  conversation: conversationRefSchema,
  authorName: z.string().max(200),
  text: z.string().min(1).max(100_000),
});

/** The newest customer mail of a conversation, as every desktop can tell it from the server's arrival times. */
export const newestCustomerMailSchema = z.object({ second: z.string(), count: z.number().int().min(1) });
export type NewestCustomerMail = z.infer<typeof newestCustomerMailSchema>;

export const statusChangedSchema = z.object({
  ...envelope,
  type: z.literal('status.changed'),
  conversation: conversationRefSchema,
  status: conversationStatusSchema,
  /**
   * The newest customer mail the agent had when setting the status (null: none): its arrival second
   * at the server, and how many customer messages arrived in that second. Customer mail beyond it
   * reopens the conversation: the agent never saw it. Absent in events of earlier versions, which
   * fall back to the event's own time.
   */
  seen: newestCustomerMailSchema.nullable().optional(),
});

export const assigneeChangedSchema = z.object({
  ...envelope,
  type: z.literal('assignee.changed'),
  conversation: conversationRefSchema,
  /** null: back to the unassigned queue. */
  assignee: email.nullable(),
});

/**
 * Deleted, marked as spam, or (null) restored / "Not spam". Like a status, customer mail the agent
 * had not seen (`seen`) brings a deleted conversation back; spam stays spam.
 */
export const conversationBinnedSchema = z.object({
  ...envelope,
  type: z.literal('conversation.binned'),
  conversation: conversationRefSchema,
  bin: conversationBinSchema.nullable(),
  seen: newestCustomerMailSchema.nullable(),
});

/** A saved reply as the team names it: an id made when it was first saved, the same on every desktop. */
const savedReplyRefSchema = z.string().min(1).max(100);

/** A saved reply added or changed (the whole of it: the last one written wins). */
export const savedReplySavedSchema = z.object({
  ...envelope,
  type: z.literal('saved-reply.saved'),
  reply: savedReplyRefSchema,
  name: z.string().min(1).max(200),
  body: z.string().min(1).max(100_000),
});

export const savedReplyRemovedSchema = z.object({
  ...envelope,
  type: z.literal('saved-reply.removed'),
  reply: savedReplyRefSchema,
});

/** A desktop's round-robin proposal for a new conversation: the first one in folder order wins. */
export const conversationRoutedSchema = z.object({
  ...envelope,
  type: z.literal('conversation.routed'),
  conversation: conversationRefSchema,
  assignee: email,
});

/** An agent added or renamed; `previousEmail` when their address changed. */
export const agentSavedSchema = z.object({
  ...envelope,
  type: z.literal('agent.saved'),
  email,
  name: z.string().trim().min(1).max(200),
  previousEmail: email.optional(),
});

export const agentRemovedSchema = z.object({
  ...envelope,
  type: z.literal('agent.removed'),
  email,
});

/** "Someone is writing a reply here" until `until`; null `until` means they stopped. */
export const presenceSchema = z.object({
  ...envelope,
  type: z.literal('presence'),
  conversation: conversationRefSchema,
  /** The desktop that sent it, so it never shows its own agent as a collision. */
  desktop: z.string().min(1).max(100),
  name: z.string().max(200),
  until: z.iso.datetime().nullable(),
});

export const teamEventSchema = z.discriminatedUnion('type', [
  noteAddedSchema,
  statusChangedSchema,
  assigneeChangedSchema,
  conversationRoutedSchema,
  conversationBinnedSchema,
  agentSavedSchema,
  savedReplySavedSchema,
  savedReplyRemovedSchema,
  agentRemovedSchema,
  presenceSchema,
]);
export type TeamEvent = z.infer<typeof teamEventSchema>;
export type TeamEventType = TeamEvent['type'];

// ---- state, as the fold keeps it and as snapshots carry it ----

/** Who set a field, and when the server received that (its INTERNALDATE), for last-writer-wins. */
const stamp = { event: z.string(), at: z.iso.datetime() };

export const noteStateSchema = z.object({
  id: z.string(),
  by: z.string(),
  authorName: z.string(),
  text: z.string(),
  /** The author's clock: where the note sits in the thread, the same on every desktop. */
  writtenAt: z.iso.datetime(),
});
export type NoteState = z.infer<typeof noteStateSchema>;

export const conversationStateSchema = z.object({
  status: z.object({ value: conversationStatusSchema, seen: newestCustomerMailSchema.nullable().optional(), ...stamp }).optional(),
  /** `routed` when set by a round-robin proposal rather than by an agent. */
  assignee: z.object({ value: z.string().nullable(), routed: z.boolean(), ...stamp }).optional(),
  bin: z.object({ value: conversationBinSchema.nullable(), seen: newestCustomerMailSchema.nullable(), ...stamp }).optional(),
  notes: z.array(noteStateSchema),
});
export type ConversationState = z.infer<typeof conversationStateSchema>;

export const agentStateSchema = z.object({
  name: z.string(),
  removed: z.boolean(),
  /** The address this agent moved to, so conversations assigned to the old one follow them. */
  movedTo: z.string().optional(),
  ...stamp,
});
export type AgentState = z.infer<typeof agentStateSchema>;

/** A saved reply by its team id; a removal is kept (not dropped), so merging a seed can tell it from an older save. */
export const savedReplyStateSchema = z.object({ name: z.string(), body: z.string(), removed: z.boolean(), ...stamp });
export type SavedReplyState = z.infer<typeof savedReplyStateSchema>;

export const teamStateSchema = z.object({
  conversations: z.record(z.string(), conversationStateSchema),
  agents: z.record(z.string(), agentStateSchema),
  /** Absent in snapshots written before saved replies were shared. */
  savedReplies: z.record(z.string(), savedReplyStateSchema).default({}),
  /** Ids of the latest events folded in, so one appended twice around a snapshot still counts once. */
  recent: z.array(z.string()),
});
export type TeamState = z.infer<typeof teamStateSchema>;

/**
 * The folded state of every event up to UID `upTo` of the folder as it was numbered by
 * `uidValidity`. A `seed` is written after the folder was lost or renumbered: it is merged (newest
 * server time per field wins, notes united) instead of replacing.
 */
export const snapshotSchema = z.object({
  v: z.literal(1),
  type: z.literal('snapshot'),
  id: z.uuid(),
  at: z.iso.datetime(),
  upTo: z.number().int().min(0),
  uidValidity: z.string(),
  seed: z.boolean(),
  state: teamStateSchema,
});
export type Snapshot = z.infer<typeof snapshotSchema>;

export const teamMessageSchema = z.union([teamEventSchema, snapshotSchema]);
export type TeamMessage = z.infer<typeof teamMessageSchema>;

/** How a channel's team folder stands, for the channel card and the inbox. */
export const teamSyncStatusSchema = z.object({
  state: z.enum(['off', 'connecting', 'connected', 'catching-up', 'offline']),
  /** The folder, as the server names it (e.g. "INBOX.Auxilium Team"). */
  folder: z.string(),
  /** Events on the server not applied here yet (while catching up). */
  behind: z.number().int(),
  /** Changes made here that are not in the folder yet. */
  waiting: z.number().int(),
  message: z.string(),
});
export type TeamSyncStatus = z.infer<typeof teamSyncStatusSchema>;
