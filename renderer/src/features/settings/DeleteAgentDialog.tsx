import { useId, useState } from 'react';
import type { Agent } from '../../../../shared/conversation';
import type { AppError } from '../../../../shared/errors';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Modal } from '../../components/Modal';
import { useSettingsStore } from './store';

export function DeleteAgentDialog({ agent, onClose }: { agent: Agent; onClose(): void }) {
  const titleId = useId();
  const bodyId = useId();
  const deleteAgent = useSettingsStore((s) => s.deleteAgent);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<AppError | null>(null);

  async function confirm() {
    setBusy(true);
    setError(null);
    const failure = await deleteAgent(agent.id);
    setBusy(false);
    if (failure) setError(failure);
    else onClose();
  }

  return (
    <Modal role="alertdialog" labelledBy={titleId} describedBy={bodyId} onClose={onClose} className="modal-small">
      <div className="modal-header">
        <h2 id={titleId} className="modal-title">
          Delete “{agent.name}”?
        </h2>
      </div>
      <div className="modal-body" id={bodyId}>
        <p>Conversations assigned to {agent.name} go back to the unassigned queue. Their messages and notes stay.</p>
        {error ? <ErrorAlert error={error} title="The agent could not be deleted." /> : null}
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
