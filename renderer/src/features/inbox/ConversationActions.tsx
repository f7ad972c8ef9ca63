import { conversationStatusSchema, type ConversationStatus, type ConversationSummary } from '../../../../shared/conversation';
import { agentLabel, useSettingsStore } from '../settings/store';
import { useConversationStore } from './conversation-store';
import { STATUS_LABEL } from './format';
import { useInboxStore } from './store';

/** Status and assignee of the open conversation, delete and spam; each change is saved at once (a deletion after a confirmation). */
export function ConversationActions({ conversation }: { conversation: ConversationSummary }) {
  const agents = useSettingsStore((s) => s.agents);
  const meAgentId = useSettingsStore((s) => s.meAgentId);
  const setStatus = useConversationStore((s) => s.setStatus);
  const assign = useConversationStore((s) => s.assign);
  const markUnread = useConversationStore((s) => s.markUnread);
  const moveToBin = useConversationStore((s) => s.moveToBin);
  const assigneeKnown = conversation.assigneeId === null || agents.some((a) => a.id === conversation.assigneeId);

  const requestDelete = () => useInboxStore.getState().requestDelete([conversation.id]);

  return (
    <div className="conversation-actions">
      {conversation.bin === 'deleted' ? (
        <button type="button" className="btn btn-secondary btn-small" onClick={() => void moveToBin(null)}>
          Restore
        </button>
      ) : conversation.bin === 'spam' ? (
        <button type="button" className="btn btn-secondary btn-small" aria-keyshortcuts="!" onClick={() => void moveToBin(null)}>
          Not spam
        </button>
      ) : (
        <button type="button" className="btn btn-ghost btn-small" aria-keyshortcuts="!" onClick={() => void moveToBin('spam')}>
          Spam
        </button>
      )}
      {conversation.bin === 'deleted' ? null : (
        <button type="button" className="btn btn-danger-ghost btn-small" aria-keyshortcuts="#" onClick={requestDelete}>
          Delete
        </button>
      )}
      {conversation.status === 'closed' || conversation.bin ? null : (
        <button type="button" className="btn btn-secondary btn-small" aria-keyshortcuts="e" onClick={() => void setStatus('closed')}>
          Close
        </button>
      )}
      <button type="button" className="btn btn-ghost btn-small" aria-keyshortcuts="u" onClick={() => void markUnread()}>
        Mark unread
      </button>
      <div className="field field-inline">
        <label htmlFor="conversation-status" className="field-label field-label-muted">
          Status
        </label>
        <select
          id="conversation-status"
          className={`select select-small status-select status-select-${conversation.status}`}
          value={conversation.status}
          onChange={(event) => void setStatus(event.target.value as ConversationStatus)}
        >
          {conversationStatusSchema.options.map((status) => (
            <option key={status} value={status}>
              {STATUS_LABEL[status]}
            </option>
          ))}
        </select>
      </div>
      <div className="field field-inline">
        <label htmlFor="conversation-assignee" className="field-label field-label-muted">
          Assignee
        </label>
        <select
          id="conversation-assignee"
          className="select select-small"
          value={conversation.assigneeId === null ? '' : String(conversation.assigneeId)}
          onChange={(event) => void assign(event.target.value === '' ? null : Number(event.target.value))}
        >
          <option value="">Unassigned</option>
          {agents.map((agent) => (
            <option key={agent.id} value={String(agent.id)}>
              {agentLabel(agent, meAgentId)}
            </option>
          ))}
          {assigneeKnown ? null : <option value={String(conversation.assigneeId)}>Unknown agent</option>}
        </select>
      </div>
    </div>
  );
}
