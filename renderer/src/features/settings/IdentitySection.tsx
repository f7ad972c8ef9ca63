import { useEffect, useState } from 'react';
import { agentSignatureSchema } from '../../../../shared/conversation';
import { Field, fieldAria } from '../../components/Field';
import { agentLabel, useSettingsStore } from './store';

/** The chosen agent's own signature: on this desktop, above the channel's on every reply they send. */
function SignatureEditor({ agentId, saved }: { agentId: number; saved: string }) {
  const setSignature = useSettingsStore((s) => s.setSignature);
  const [text, setText] = useState(saved);
  const [status, setStatus] = useState<{ error: string | null; done: boolean }>({ error: null, done: false });
  useEffect(() => setText(saved), [saved, agentId]);
  const save = async () => {
    const checked = agentSignatureSchema.safeParse(text);
    if (!checked.success) {
      setStatus({ error: checked.error.issues[0]?.message ?? 'Check the signature', done: false });
      return;
    }
    const failed = await setSignature(agentId, checked.data);
    setStatus({ error: failed ? failed.message : null, done: !failed });
  };
  return (
    <form
      className="identity-signature"
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        void save();
      }}
    >
      <Field
        id="identity-signature"
        label="Your signature"
        error={status.error ?? undefined}
        hint="Goes on your replies above the channel’s signature. Kept on this computer."
      >
        <textarea
          className="input textarea"
          rows={3}
          value={text}
          onChange={(event) => {
            setText(event.target.value);
            setStatus({ error: null, done: false });
          }}
          {...fieldAria('identity-signature', status.error ?? undefined, { hint: true })}
        />
      </Field>
      <div className="identity-signature-actions">
        <button type="submit" className="btn btn-secondary btn-small">
          Save signature
        </button>
        <span role="status" className="muted">
          {status.done ? 'Signature saved' : ''}
        </span>
      </div>
    </form>
  );
}

/** "Who are you?" — optional: until it is set the app simply says "Me". */
export function IdentitySection() {
  const agents = useSettingsStore((s) => s.agents);
  const meAgentId = useSettingsStore((s) => s.meAgentId);
  const setMe = useSettingsStore((s) => s.setMe);
  const me = agents.find((agent) => agent.id === meAgentId);

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
      {me ? <SignatureEditor agentId={me.id} saved={me.signature ?? ''} /> : null}
    </section>
  );
}
