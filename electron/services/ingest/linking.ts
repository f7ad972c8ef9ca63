import type { MailStore } from '../store/mail-store';

/**
 * Threading that does not depend on arrival order. The first import goes newest first, and the
 * inbox and the Sent folder are read by separate sessions, so a reply is often stored before the
 * message it answers. Every stored message is therefore linked in both directions: conversations
 * whose messages name it (In-Reply-To/References) are joined with its own, and Sent mail parked
 * because its conversation was not known yet is brought in. Never across customers: a conversation
 * is only joined when the sender of the referring message takes part in this one, or is the
 * channel's own address.
 */

export interface LinkContext {
  store: MailStore;
  channelId: string;
  /** Lower-cased own addresses of the channel (ownAddresses in channel-repo.ts). */
  own: ReadonlySet<string>;
}

export interface StoredLink {
  /** messages.id */
  id: number;
  messageId: string | null;
  references: string[];
  fromAddress: string;
}

export interface LinkResult {
  /** Conversations that received messages or were joined into another. */
  touched: Set<number>;
  /** Conversations that no longer exist: they were joined into another. */
  removed: Set<number>;
}

function isOwn(ctx: LinkContext, address: string): boolean {
  return ctx.own.has(address.trim().toLowerCase());
}

/**
 * The conversation a message without a thread of its own belongs to: that of an already stored
 * message that names it, when the sender takes part there (or is the team itself).
 */
export function conversationReferencing(ctx: LinkContext, messageId: string | null, fromAddress: string): number | undefined {
  if (messageId === null) return undefined;
  for (const { conversationId } of ctx.store.referencing(ctx.channelId, messageId)) {
    if (isOwn(ctx, fromAddress) || ctx.store.isParticipant(conversationId, fromAddress)) return conversationId;
  }
  return undefined;
}

/** Links a message just stored (see the file comment). Runs inside the ingest transaction. */
export function linkStored(ctx: LinkContext, stored: StoredLink, at: string): LinkResult {
  const { store } = ctx;
  const result: LinkResult = { touched: new Set(), removed: new Set() };
  const queue: StoredLink[] = [stored];
  while (queue.length > 0) {
    const message = queue.shift()!;
    if (message.messageId !== null) {
      for (const { conversationId: other, fromAddress } of store.referencing(ctx.channelId, message.messageId)) {
        const here = store.conversationOf(message.id)!;
        if (other === here || result.removed.has(other)) continue;
        if (!isOwn(ctx, fromAddress) && !store.isParticipant(here, fromAddress)) continue;
        const { kept, removed } = store.mergeConversations(here, other);
        result.touched.add(kept);
        result.touched.add(removed);
        result.removed.add(removed);
      }
    }
    for (const parked of store.parkedLinkedTo(ctx.channelId, message.messageId, message.references)) {
      const here = store.conversationOf(message.id)!;
      // Sent mail that answers this message belongs here; a message that answers parked Sent mail
      // brings it in only when it came from one of its recipients (or from the team).
      const recipients = [...parked.message.to, ...parked.message.cc].map((a) => a.address.toLowerCase());
      if (!parked.refersToIt && !isOwn(ctx, message.fromAddress) && !recipients.includes(message.fromAddress.toLowerCase())) continue;
      store.unpark(parked.id);
      const id = store.insertMessage(
        { ...parked.message, conversationId: here },
        { at: parked.message.arrivedAt ?? at, unread: false, reopen: false, summary: true },
      );
      result.touched.add(here);
      queue.push({
        id,
        messageId: parked.message.messageId,
        references: [parked.message.inReplyTo, ...parked.message.references].filter((r): r is string => r !== null),
        fromAddress: parked.message.from.address,
      });
    }
  }
  return result;
}
