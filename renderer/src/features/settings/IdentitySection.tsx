import { agentLabel, useSettingsStore } from './store';

/** "Who are you?" — optional: until it is set the app simply says "Me". */
export function IdentitySection() {
  const agents = useSettingsStore((s) => s.agents);
  const meAgentId = useSettingsStore((s) => s.meAgentId);
  const setMe = useSettingsStore((s) => s.setMe);

  return (
    <section className="panel" aria-labelledby="identity-title">
      <div className="panel-header">
        <div>
          <h2 id="identity-title" className="panel-title">
            Who are you?
          </h2>
          <p className="muted" id="identity-hint">
            Choose yourself from the agents: the Mine view then shows the conversations assigned to you.
          </p>
        </div>
      </div>
      <div className="field identity-field">
        <label htmlFor="identity-me" className="field-label">
          I am
        </label>
        <select
          id="identity-me"
          className="select"
          aria-describedby="identity-hint"
          value={meAgentId === null ? '' : String(meAgentId)}
          onChange={(event) => void setMe(event.target.value === '' ? null : Number(event.target.value))}
        >
          <option value="">Me (not set)</option>
          {agents.map((agent) => (
            <option key={agent.id} value={String(agent.id)}>
              {agentLabel(agent, null)} — {agent.email}
            </option>
          ))}
        </select>
      </div>
    </section>
  );
}
