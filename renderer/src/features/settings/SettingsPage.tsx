import { useState } from 'react';
import type { Agent } from '../../../../shared/conversation';
import { ErrorAlert } from '../../components/ErrorAlert';
import { AgentDialog } from './AgentDialog';
import { DeleteAgentDialog } from './DeleteAgentDialog';
import { IdentitySection } from './IdentitySection';
import { NotificationsSection } from './NotificationsSection';
import { SavedRepliesSection } from './SavedRepliesSection';
import { useSettingsLive, useSettingsStore } from './store';

type Dialog = { kind: 'add' } | { kind: 'edit'; agent: Agent } | { kind: 'delete'; agent: Agent } | null;

export function SettingsPage() {
  useSettingsLive();
  const agents = useSettingsStore((s) => s.agents);
  const meAgentId = useSettingsStore((s) => s.meAgentId);
  const loaded = useSettingsStore((s) => s.loaded);
  const error = useSettingsStore((s) => s.error);
  const clearError = useSettingsStore((s) => s.clearError);
  const [dialog, setDialog] = useState<Dialog>(null);

  return (
    <div className="page">
      <header className="page-header">
        <div>
          <h1 className="page-title">Settings</h1>
          <p className="page-lede">The people who answer customers, and who you are among them.</p>
        </div>
      </header>

      {error ? <ErrorAlert error={error} onDismiss={clearError} /> : null}

      <IdentitySection />

      <section className="panel" aria-labelledby="agents-title">
        <div className="panel-header">
          <div>
            <h2 id="agents-title" className="panel-title">
              Agents
            </h2>
            <p className="muted">Conversations are assigned to agents, by hand or round-robin per channel.</p>
          </div>
          <button type="button" className="btn btn-primary" onClick={() => setDialog({ kind: 'add' })}>
            <span aria-hidden="true" className="btn-icon">
              +
            </span>
            Add agent
          </button>
        </div>
        {!loaded ? (
          <p className="muted" role="status">
            Loading agents…
          </p>
        ) : agents.length === 0 ? (
          <p className="muted">No agents yet. Add the people on your team, yourself included.</p>
        ) : (
          <ul role="list" className="agent-list" aria-label="Agents">
            {agents.map((agent) => (
              <li key={agent.id} className="agent-row" aria-label={agent.name}>
                <span className="agent-avatar" aria-hidden="true">
                  {agent.name.trim().charAt(0).toUpperCase() || '?'}
                </span>
                <span className="agent-names">
                  <span className="agent-name">
                    {agent.name}
                    {agent.id === meAgentId ? <span className="badge badge-on agent-me">Me</span> : null}
                  </span>
                  <span className="muted agent-email">{agent.email}</span>
                </span>
                <span className="agent-actions">
                  <button type="button" className="btn btn-ghost btn-small" onClick={() => setDialog({ kind: 'edit', agent })}>
                    Edit<span className="sr-only"> {agent.name}</span>
                  </button>
                  <button type="button" className="btn btn-danger-ghost btn-small" onClick={() => setDialog({ kind: 'delete', agent })}>
                    Delete<span className="sr-only"> {agent.name}</span>
                  </button>
                </span>
              </li>
            ))}
          </ul>
        )}
      </section>

      <SavedRepliesSection />

      <NotificationsSection />

      {dialog?.kind === 'add' ? <AgentDialog agent={null} onClose={() => setDialog(null)} /> : null}
      {dialog?.kind === 'edit' ? <AgentDialog agent={dialog.agent} onClose={() => setDialog(null)} /> : null}
      {dialog?.kind === 'delete' ? <DeleteAgentDialog agent={dialog.agent} onClose={() => setDialog(null)} /> : null}
    </div>
  );
}
