import { useEffect, useState } from 'react';
import { useWatch } from 'react-hook-form';
import { DEFAULT_INBOX_SETTINGS } from '../../../../shared/channel';
import { Field, fieldAria } from '../../components/Field';
import { routeHref } from '../../lib/router';
import { useSettingsLive, useSettingsStore } from '../settings/store';
import type { ChannelFormApi } from './ServerSection';

type SentChoice = 'auto' | 'none' | 'custom';

function sentChoiceOf(value: string | undefined): SentChoice {
  if (!value) return 'auto';
  return value === 'none' ? 'none' : 'custom';
}

const RATE_MESSAGE = 'Enter a whole number from 0 to 10000 (0 means no limit).';

/**
 * How the channel feeds the inbox: how often to poll besides IDLE, how much old mail a new channel
 * imports, whether the mailbox may be changed (off unless asked), and who gets new conversations.
 * Then how replies leave: the signature, where a copy of each reply is filed, and the send limit.
 */
export function InboxSettingsSection({ form, creating }: { form: ChannelFormApi; creating: boolean }) {
  useSettingsLive();
  const agents = useSettingsStore((s) => s.agents);
  const { register, control, setValue, getValues, formState } = form;
  const errors = formState.errors.inbox;
  const [routing, agentIds, markSeen, smtpHost, rate, trashOnDelete] = useWatch({
    control,
    name: ['inbox.routing', 'inbox.agentIds', 'inbox.markSeenOnServer', 'smtp.host', 'inbox.sendRatePerMinute', 'inbox.trashOnDelete'],
  });
  const chosen = new Set(agentIds ?? []);
  const pollError = errors?.pollIntervalSeconds?.message;
  const signatureError = errors?.signature?.message;
  const sentFolderError = errors?.sentFolder?.message;
  const rateError = errors?.sendRatePerMinute ? RATE_MESSAGE : undefined;
  const teamFolderError = errors?.teamFolder?.message;
  const trashFolderError = errors?.trashFolder?.message;
  const [sentChoice, setSentChoice] = useState<SentChoice>(() => sentChoiceOf(getValues('inbox.sentFolder')));
  const [customFolder, setCustomFolder] = useState(() =>
    sentChoiceOf(getValues('inbox.sentFolder')) === 'custom' ? (getValues('inbox.sentFolder') ?? '') : '',
  );
  const host = (smtpHost ?? '').trim().toLowerCase();
  const isGmail = /(^|\.)(gmail|googlemail)\.com$/.test(host);
  const isMicrosoft = /(^|\.)office365\.com$|(^|\.)outlook\.com$/.test(host);

  // A channel saved before replies existed has no reply settings yet: start from the defaults.
  useEffect(() => {
    for (const key of [
      'signature',
      'sentFolder',
      'sendRatePerMinute',
      'teamFolder',
      'assignOnReply',
      'pendingOnReply',
      'trashOnDelete',
      'trashFolder',
      'junkOnSpam',
    ] as const) {
      if (getValues(`inbox.${key}`) === undefined) setValue(`inbox.${key}`, DEFAULT_INBOX_SETTINGS[key]);
    }
  }, [getValues, setValue]);

  function chooseSent(choice: SentChoice) {
    setSentChoice(choice);
    const value = choice === 'auto' ? '' : choice === 'none' ? 'none' : customFolder.trim();
    setValue('inbox.sentFolder', value, { shouldDirty: true, shouldValidate: true });
  }

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
          Off by default: Auxilium only reads the mailbox and never changes it. When on, it changes the mailbox — mail it imports shows as read in webmail and
          other mail apps too.
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

      <h4 className="subsection-title">Deleting and spam</h4>
      <fieldset className="field after-reply" aria-describedby="inbox-server-bins-hint">
        <legend className="field-label">On the mail server</legend>
        <label className="checkbox-row checkbox-row-light" htmlFor="inbox-trash-on-delete">
          <input id="inbox-trash-on-delete" type="checkbox" className="checkbox" {...register('inbox.trashOnDelete')} />
          Move the customer's mail of deleted conversations to the Trash folder
        </label>
        <label className="checkbox-row checkbox-row-light" htmlFor="inbox-junk-on-spam">
          <input id="inbox-junk-on-spam" type="checkbox" className="checkbox" {...register('inbox.junkOnSpam')} />
          Move the customer's mail of spam to the Junk folder
        </label>
        <p id="inbox-server-bins-hint" className="field-hint">
          Off by default: deleted and spam conversations leave Auxilium's queues, and the mailbox stays as it is. When on, the mail moves on the server too (for
          webmail and other mail apps); restoring in Auxilium does not move it back.
        </p>
      </fieldset>
      {trashOnDelete ? (
        <div className="grid-2">
          <Field
            id="inbox-trash-folder"
            label="Trash folder"
            error={trashFolderError}
            hint="Empty: the folder the server marks as Trash. Otherwise the folder as the server names it, e.g. Deleted Items or INBOX.Trash."
          >
            <input
              className="input"
              type="text"
              placeholder="Trash"
              {...fieldAria('inbox-trash-folder', trashFolderError, { hint: true })}
              {...register('inbox.trashFolder')}
            />
          </Field>
        </div>
      ) : null}

      <h4 className="subsection-title">Replies</h4>
      <fieldset className="field after-reply">
        <legend className="field-label">After an agent replies</legend>
        <label className="checkbox-row checkbox-row-light" htmlFor="inbox-assign-on-reply">
          <input id="inbox-assign-on-reply" type="checkbox" className="checkbox" {...register('inbox.assignOnReply')} />
          Assign an unassigned conversation to the agent who replied
        </label>
        <label className="checkbox-row checkbox-row-light" htmlFor="inbox-pending-on-reply">
          <input id="inbox-pending-on-reply" type="checkbox" className="checkbox" {...register('inbox.pendingOnReply')} />
          Set the conversation to Pending until the customer answers
        </label>
      </fieldset>
      <Field id="inbox-signature" label="Signature" error={signatureError} hint="Added below every reply from this channel, after a “-- ” line. Plain text.">
        <textarea className="input textarea" rows={3} {...fieldAria('inbox-signature', signatureError, { hint: true })} {...register('inbox.signature')} />
      </Field>

      <div className="grid-2">
        <Field
          id="inbox-sent-folder"
          label="Sent folder"
          error={sentFolderError}
          hint={
            <>
              Where a copy of each reply is filed on the server. Automatic uses the folder the server marks as Sent. Gmail saves sent mail by itself: choose
              “Don't save a copy” there, or each reply shows up twice.
            </>
          }
        >
          <select
            className="select"
            value={sentChoice}
            onChange={(event) => chooseSent(event.target.value as SentChoice)}
            {...fieldAria('inbox-sent-folder', sentFolderError, { hint: true, extra: isGmail && sentChoice !== 'none' ? 'inbox-sent-gmail' : undefined })}
          >
            <option value="auto">Automatic (the server's Sent folder)</option>
            <option value="none">Don't save a copy</option>
            <option value="custom">A folder I name…</option>
          </select>
          {isGmail && sentChoice !== 'none' ? (
            <p id="inbox-sent-gmail" className="field-hint text-warn">
              This looks like Gmail, which already keeps a copy of what it sends.
            </p>
          ) : null}
        </Field>
        <Field
          id="inbox-send-rate"
          label="Send limit per minute"
          error={rateError}
          hint="Microsoft 365: 30. Replies over the limit wait their turn instead of failing. 0 means no limit."
        >
          <input
            className="input"
            type="number"
            inputMode="numeric"
            min={0}
            max={10000}
            step={1}
            {...fieldAria('inbox-send-rate', rateError, { hint: true, extra: isMicrosoft && !rate ? 'inbox-send-rate-ms' : undefined })}
            {...register('inbox.sendRatePerMinute', { setValueAs: (v: unknown) => (v === '' || v === null || v === undefined ? 0 : Number(v)) })}
          />
          {isMicrosoft && !rate ? (
            <p id="inbox-send-rate-ms" className="field-hint text-warn">
              Microsoft 365 accepts 30 messages a minute from one mailbox; set 30 so replies queue rather than fail.
            </p>
          ) : null}
        </Field>
      </div>
      {sentChoice === 'custom' ? (
        <div className="grid-2">
          <Field
            id="inbox-sent-folder-name"
            label="Folder name"
            hint={
              customFolder.trim()
                ? 'The folder as the server names it, e.g. Sent Items or INBOX.Sent.'
                : 'Enter a folder name; left empty, the automatic choice is used.'
            }
          >
            <input
              className="input"
              type="text"
              value={customFolder}
              placeholder="Sent Items"
              onChange={(event) => {
                setCustomFolder(event.target.value);
                setValue('inbox.sentFolder', event.target.value.trim(), { shouldDirty: true, shouldValidate: true });
              }}
              {...fieldAria('inbox-sent-folder-name', undefined, { hint: true })}
            />
          </Field>
        </div>
      ) : null}
      <div className="grid-2">
        <Field
          id="inbox-team-folder"
          label="Team folder"
          error={teamFolderError}
          hint={
            <>
              The folder of this mailbox where your team's desktops share notes, statuses, assignments and agents. Empty: “Auxilium Team”, where the server
              keeps folders (e.g. INBOX.Auxilium Team). “none”: keep them on this desktop only.
            </>
          }
        >
          <input
            className="input"
            type="text"
            placeholder="Auxilium Team"
            {...fieldAria('inbox-team-folder', teamFolderError, { hint: true })}
            {...register('inbox.teamFolder')}
          />
        </Field>
      </div>
    </fieldset>
  );
}
