import type { Channel } from '../../../../shared/channel';
import { ConfirmDeleteDialog } from '../../components/ConfirmDeleteDialog';
import { useChannelsStore } from './store';

/** Says what goes (the channel, its keychain passwords) and what stays (the mail). */
export function DeleteChannelDialog({ channel, onClose }: { channel: Channel; onClose(): void }) {
  const remove = useChannelsStore((s) => s.remove);
  return (
    <ConfirmDeleteDialog name={channel.name} failureTitle="The channel could not be deleted." onConfirm={() => remove(channel.id)} onClose={onClose}>
      <p>
        Auxilium stops watching <strong className="text-break">{channel.supportAddress}</strong> and removes this channel together with its IMAP and SMTP
        passwords from the keychain.
      </p>
      <p className="muted">Its conversations stay in the inbox, and mail already on the server is untouched: nothing is deleted from the mailbox.</p>
    </ConfirmDeleteDialog>
  );
}
