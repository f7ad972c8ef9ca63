import type { Message } from '../../../../shared/conversation';

/**
 * Customer messages flagged \\Answered on the server that no reply follows in the thread (in the
 * order shown): someone answered from a mail client whose copy is not in the Sent folder we watch.
 * A reply that failed to go out does not count as an answer.
 */
export function answeredWithoutReply(ordered: readonly Message[]): Set<number> {
  const ids = new Set<number>();
  let replyFollows = false;
  for (let i = ordered.length - 1; i >= 0; i -= 1) {
    const message = ordered[i]!;
    if (message.direction === 'outbound' && message.delivery?.state !== 'failed') replyFollows = true;
    else if (message.direction === 'inbound' && message.answeredOnServer && !replyFollows) ids.add(message.id);
  }
  return ids;
}
