import { useId, useState, type ReactNode } from 'react';
import type { AppError } from '../../../shared/errors';
import { ErrorAlert } from './ErrorAlert';
import { Modal } from './Modal';

/**
 * "Delete <name>?" (or the `title` given) with Cancel focused first. The body says what goes and
 * what stays; a failure is shown in place and the dialog stays open.
 */
export function ConfirmDeleteDialog(props: {
  name: string;
  title?: string;
  children: ReactNode;
  failureTitle: string;
  onConfirm(): Promise<AppError | null>;
  onClose(): void;
}) {
  const titleId = useId();
  const bodyId = useId();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<AppError | null>(null);

  async function confirm() {
    setBusy(true);
    setError(null);
    const failure = await props.onConfirm();
    setBusy(false);
    if (failure) setError(failure);
    else props.onClose();
  }

  return (
    <Modal role="alertdialog" labelledBy={titleId} describedBy={bodyId} onClose={props.onClose} className="modal-small">
      <div className="modal-header">
        <h2 id={titleId} className="modal-title">
          {props.title ?? `Delete “${props.name}”?`}
        </h2>
      </div>
      <div className="modal-body" id={bodyId}>
        {props.children}
        {error ? <ErrorAlert error={error} title={props.failureTitle} /> : null}
      </div>
      <div className="modal-footer">
        <div className="modal-footer-end">
          <button type="button" className="btn btn-secondary" onClick={props.onClose} autoFocus>
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
