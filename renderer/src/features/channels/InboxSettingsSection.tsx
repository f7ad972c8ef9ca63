import { useWatch } from 'react-hook-form';
import { Field, fieldAria } from '../../components/Field';
import { routeHref } from '../../lib/router';
import { useSettingsLive, useSettingsStore } from '../settings/store';
import type { ChannelFormApi } from './ServerSection';

/**
 * How the channel feeds the inbox: how often to poll besides IDLE, how much old mail a new channel
 * imports, whether the mailbox may be changed (off unless asked), and who gets new conversations.
 */
export function InboxSettingsSection({ form, creating }: { form: ChannelFormApi; creating: boolean }) {
  useSettingsLive();
  const agents = useSettingsStore((s) => s.agents);
  const { register, control, setValue, formState } = form;
  const errors = formState.errors.inbox;
  const [routing, agentIds, markSeen] = useWatch({ control, name: ['inbox.routing', 'inbox.agentIds', 'inbox.markSeenOnServer'] });
  const chosen = new Set(agentIds ?? []);
  const pollError = errors?.pollIntervalSeconds?.message;

  function toggleAgent(id: number, on: boolean) {
    const next = new Set(chosen);
    if (on) next.add(id);
    else next.delete(id);
    setValue('inbox.agentIds', [...next], { shouldDirty: true });
  }

  return (
    <fieldset className="section" aria-labelledby="inbox-settings-legend">
      <legend className="section-legend">
        <h3 id="inbox-settings-legend" className="section-title">
          Inbox Settings
        </h3>
      </legend>
      <p className="section-lede">How new mail becomes conversations, and who gets them.</p>

      <div className="grid-2">
        <Field
          id="inbox-poll"
          label="Poll interval (seconds)"
          error={pollError}
          hint="New mail normally shows up at once; Auxilium also checks this often in case the server goes quiet. 10 to 3600."
        >
          <input
            className="input"
            type="number"
            inputMode="numeric"
            min={10}
            max={3600}
            step={1}
            {...fieldAria('inbox-poll', pollError, { hint: true })}
            {...register('inbox.pollIntervalSeconds', { valueAsNumber: true })}
          />
        </Field>
        {creating ? (
          <Field id="inbox-initial-import" label="Import existing mail" hint="Newest first, so the inbox fills quickly. Later mail is always imported.">
            <select className="select" {...fieldAria('inbox-initial-import', undefined, { hint: true })} {...register('inbox.initialImport')}>
              <option value="none">None — only new mail</option>
              <option value="14-days">Last 14 days</option>
              <option value="all">All mail in the mailbox</option>
            </select>
          </Field>
        ) : null}
      </div>

      <div className="field">
        <label className="checkbox-row" htmlFor="inbox-mark-seen">
          <input id="inbox-mark-seen" type="checkbox" className="checkbox" aria-describedby="inbox-mark-seen-hint" {...register('inbox.markSeenOnServer')} />
          Mark imported mail as read on the server
        </label>
        <p id="inbox-mark-seen-hint" className={markSeen ? 'field-hint text-warn' : 'field-hint'}>
          Off by default: Auxilium only reads the mailbox and never changes it. When on, it changes the mailbox — mail it imports shows as
          read in webmail and other mail apps too.
        </p>
      </div>

      <div className="grid-2">
        <Field id="inbox-routing" label="New conversations" hint="You can always reassign a conversation by hand.">
          <select className="select" {...fieldAria('inbox-routing', undefined, { hint: true })} {...register('inbox.routing')}>
            <option value="unassigned">Unassigned queue</option>
            <option value="round-robin">Round-robin among agents</option>
          </select>
        </Field>
      </div>

      {routing === 'round-robin' ? (
        <fieldset className="agent-picker" aria-describedby="inbox-agents-hint">
          <legend className="field-label">Agents in the rotation</legend>
          {agents.length === 0 ? (
            <p id="inbox-agents-hint" className="note note-warn">
              There are no agents yet. Add them in <a href={routeHref('settings')}>Settings</a>; until then new conversations stay unassigned.
            </p>
          ) : (
            <>
              <ul role="list" className="agent-checks">
                {agents.map((agent) => (
                  <li key={agent.id}>
                    <label className="checkbox-row checkbox-row-light">
                      <input type="checkbox" className="checkbox" checked={chosen.has(agent.id)} onChange={(e) => toggleAgent(agent.id, e.target.checked)} />
                      {agent.name} <span className="muted">{agent.email}</span>
                    </label>
                  </li>
                ))}
              </ul>
              <p id="inbox-agents-hint" className={chosen.size === 0 ? 'field-hint text-warn' : 'field-hint'}>
                {chosen.size === 0
                  ? 'Choose at least one agent; until then new conversations stay unassigned.'
                  : 'New conversations go to these agents in turn.'}
              </p>
            </>
          )}
        </fieldset>
      ) : null}
    </fieldset>
  );
}
