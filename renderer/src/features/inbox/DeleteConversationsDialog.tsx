import { ConfirmDeleteDialog } from '../../components/ConfirmDeleteDialog';
import { useChannelsStore } from '../channels/store';
import { useConversationStore } from './conversation-store';
import { shown } from './format';
import { useInboxStore } from './store';

/**
 * The confirmation every deletion goes through (the bulk bar, the open conversation, the # key).
 * It says where the conversations go, and whether their mail also goes to the server's Trash.
 */
export function DeleteConversationsDialog() {
  const ids = useInboxStore((s) => s.deleteRequest);
  const items = useInboxStore((s) => s.items);
  const open = useConversationStore((s) => s.detail?.conversation);
  const channels = useChannelsStore((s) => s.channels);
  if (!ids) return null;
  const store = useInboxStore.getState();
  const conversations = ids.flatMap((id) => {
    const listed = items.find((c) => c.id === id) ?? (open?.id === id ? open : undefined);
    return listed ? [listed] : [];
  });
  const one = ids.length === 1 ? conversations[0] : undefined;
  const name = one ? shown(one.subject) || '(no subject)' : `${ids.length} conversations`;
  const trashing = channels.filter((channel) => channel.inbox.trashOnDelete && conversations.some((c) => c.channelId === channel.id));

  return (
    <ConfirmDeleteDialog
      name={name}
      title={one ? undefined : `Delete ${ids.length} conversations?`}
      failureTitle={ids.length === 1 ? 'The conversation was not deleted.' : 'The conversations were not deleted.'}
      onConfirm={() => store.moveToBin(ids, 'deleted')}
      onClose={() => store.cancelDelete()}
    >
      <p>
        {ids.length === 1 ? 'It leaves every view and goes to Deleted' : 'They leave every view and go to Deleted'}, where anyone on the team can restore{' '}
        {ids.length === 1 ? 'it' : 'them'}. Nothing is thrown away.
      </p>
      {trashing.length > 0 ? (
        <p className="note note-warn">
          The customer's mail is also moved to the Trash folder on the server ({trashing.map((c) => c.name).join(', ')}: Inbox Settings). Restoring here does
          not move it back.
        </p>
      ) : null}
    </ConfirmDeleteDialog>
  );
}
