import { useId } from 'react';
import type { BulkPatch } from '../../../../shared/conversation';
import { ErrorAlert } from '../../components/ErrorAlert';
import { agentLabel, useSettingsStore } from '../settings/store';
import { useInboxStore } from './store';

/**
 * Above the list: "Select all", and for a multi-selection the bulk actions — close, reopen, assign,
 * mark read or unread, delete (after a confirmation) and mark as spam; in Spam "Not spam", in
 * Deleted "Restore". Each acts on every selected conversation at once.
 */
export function BulkBar() {
  const selected = useInboxStore((s) => s.selected);
  const itemCount = useInboxStore((s) => s.items.length);
  const busy = useInboxStore((s) => s.bulkBusy);
  const error = useInboxStore((s) => s.bulkError);
  const agents = useSettingsStore((s) => s.agents);
  const meAgentId = useSettingsStore((s) => s.meAgentId);
  const view = useInboxStore((s) => s.filters.view);
  const assignId = useId();
  const store = useInboxStore.getState();
  const count = selected.size;
  const all = count > 0 && count === itemCount;

  const apply = (patch: BulkPatch) => {
    if (!busy) void store.applyToSelected(patch);
  };
  const remove = () => store.requestDelete([...selected]);
  const binned = view === 'spam' || view === 'deleted';

  return (
    <div className="bulk">
      <div className="bulk-bar" role="toolbar" aria-label="Bulk actions">
        <label className="bulk-all">
          <input
            type="checkbox"
            className="checkbox"
            checked={all}
            ref={(el) => {
              if (el) el.indeterminate = count > 0 && !all;
            }}
            aria-label="Select all conversations"
            onChange={() => (all || count > 0 ? store.clearSelection() : store.selectAll())}
            disabled={itemCount === 0}
          />
          {count > 0 ? <span role="status">{count} selected</span> : <span>Select all</span>}
        </label>
        {count > 0 && view === 'deleted' ? (
          <button type="button" className="btn btn-secondary btn-small" aria-disabled={busy || undefined} onClick={() => apply({ bin: null })}>
            Restore
          </button>
        ) : null}
        {count > 0 && view === 'spam' ? (
          <>
            <button
              type="button"
              className="btn btn-secondary btn-small"
              aria-disabled={busy || undefined}
              aria-keyshortcuts="!"
              onClick={() => apply({ bin: null })}
            >
              Not spam
            </button>
            <button type="button" className="btn btn-danger-ghost btn-small" aria-keyshortcuts="#" onClick={remove}>
              Delete
            </button>
          </>
        ) : null}
        {count > 0 && !binned ? (
          <>
            <button type="button" className="btn btn-secondary btn-small" aria-disabled={busy || undefined} onClick={() => apply({ status: 'closed' })}>
              Close
            </button>
            <button type="button" className="btn btn-secondary btn-small" aria-disabled={busy || undefined} onClick={() => apply({ status: 'open' })}>
              Reopen
            </button>
            <label htmlFor={assignId} className="sr-only">
              Assign selected to
            </label>
            <select
              id={assignId}
              className="select select-small bulk-assign"
              value=""
              onChange={(event) => {
                const value = event.target.value;
                if (value) apply({ assigneeId: value === 'none' ? null : Number(value) });
              }}
            >
              <option value="">Assign to…</option>
              <option value="none">Unassigned</option>
              {agents.map((agent) => (
                <option key={agent.id} value={String(agent.id)}>
                  {agentLabel(agent, meAgentId)}
                </option>
              ))}
            </select>
            <button type="button" className="btn btn-ghost btn-small" aria-disabled={busy || undefined} onClick={() => apply({ unread: false })}>
              Mark read
            </button>
            <button type="button" className="btn btn-ghost btn-small" aria-disabled={busy || undefined} onClick={() => apply({ unread: true })}>
              Mark unread
            </button>
            <button
              type="button"
              className="btn btn-ghost btn-small"
              aria-disabled={busy || undefined}
              aria-keyshortcuts="!"
              onClick={() => apply({ bin: 'spam' })}
            >
              Spam
            </button>
            <button type="button" className="btn btn-danger-ghost btn-small" aria-keyshortcuts="#" onClick={remove}>
              Delete
            </button>
          </>
        ) : null}
      </div>
      {error ? <ErrorAlert error={error} onDismiss={() => store.clearSelection()} title="The selected conversations were not changed." /> : null}
    </div>
  );
}
