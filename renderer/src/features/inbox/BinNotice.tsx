import type { ConversationSummary } from '../../../../shared/conversation';
import { fullTime, shown } from './format';

const FOLDER = { trash: 'Trash', junk: 'Junk' } as const;

/** Above the thread of a deleted or spam conversation: where it is, how to undo it, and how its move on the server stands. */
export function BinNotice({ conversation }: { conversation: ConversationSummary }) {
  const { bin, mailboxMove: move } = conversation;
  if (!bin && !move) return null;
  return (
    <div className="pane-pad bin-notice">
      {bin === 'deleted' ? <p className="note">Deleted: out of every queue. Restore brings it back.</p> : null}
      {bin === 'spam' ? (
        <p className="note">Marked as spam: new mail from {shown(conversation.customer.address)} goes to Spam too. Not spam undoes both.</p>
      ) : null}
      {move ? (
        move.error ? (
          <p className="note note-warn" role="alert">
            The customer's mail is not in the server's {FOLDER[move.folder]} folder yet: {move.error}
            {move.nextAttemptAt ? ` Trying again at ${fullTime(move.nextAttemptAt)}.` : ''}
          </p>
        ) : (
          <p className="note" role="status">
            Moving the customer's mail to the server's {FOLDER[move.folder]} folder…
          </p>
        )
      ) : null}
    </div>
  );
}
