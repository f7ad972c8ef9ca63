import { conversationStatusSchema, type ConversationStatus, type ConversationSummary } from '../../../../shared/conversation';
import { agentLabel, useSettingsStore } from '../settings/store';
import { useConversationStore } from './conversation-store';
import { STATUS_LABEL } from './format';

/** Status and assignee of the open conversation; each change is saved at once. */
export function ConversationActions({ conversation }: { conversation: ConversationSummary }) {
  const agents = useSettingsStore((s) => s.agents);
  const meAgentId = useSettingsStore((s) => s.meAgentId);
  const setStatus = useConversationStore((s) => s.setStatus);
  const assign = useConversationStore((s) => s.assign);
  const markUnread = useConversationStore((s) => s.markUnread);
  const assigneeKnown = conversation.assigneeId === null || agents.some((a) => a.id === conversation.assigneeId);

  return (
    <div className="conversation-actions">
      {conversation.status === 'closed' ? null : (
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
