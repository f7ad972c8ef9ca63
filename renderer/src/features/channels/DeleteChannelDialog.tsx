import { useId, useState } from 'react';
import type { Channel } from '../../../../shared/channel';
import type { AppError } from '../../../../shared/errors';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Modal } from '../../components/Modal';
import { useChannelsStore } from './store';

/** "Delete <name>?" — says what goes (the channel, its keychain passwords) and what stays (the mail). */
export function DeleteChannelDialog({ channel, onClose }: { channel: Channel; onClose(): void }) {
  const titleId = useId();
  const bodyId = useId();
  const remove = useChannelsStore((s) => s.remove);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<AppError | null>(null);

  async function confirm() {
    setBusy(true);
    setError(null);
    const failure = await remove(channel.id);
    setBusy(false);
    if (failure) setError(failure);
    else onClose();
  }

  return (
    <Modal role="alertdialog" labelledBy={titleId} describedBy={bodyId} onClose={onClose} className="modal-small">
      <div className="modal-header">
        <h2 id={titleId} className="modal-title">
          Delete “{channel.name}”?
        </h2>
      </div>
      <div className="modal-body" id={bodyId}>
        <p>
          Auxilium stops watching <strong className="text-break">{channel.supportAddress}</strong> and removes this channel together
          with its IMAP and SMTP passwords from the keychain.
        </p>
        <p className="muted">Mail already on the server is untouched: nothing is deleted from the mailbox.</p>
        {error ? <ErrorAlert error={error} title="The channel could not be deleted." /> : null}
      </div>
      <div className="modal-footer">
        <div className="modal-footer-end">
          <button type="button" className="btn btn-secondary" onClick={onClose} autoFocus>
            Cancel
          </button>
          <button type="button" className="btn btn-danger" onClick={() => void confirm()} disabled={busy}>
            {busy ? 'Deleting…' : 'Delete'}
          </button>
        </div>
      </div>
    </Modal>
  );
}
