import { useEffect, useId, useRef, useState } from 'react';
import { MAX_REPLY_ATTACHMENT_BYTES, megabytes } from '../../../../shared/attachments';
import { channelOwnAddresses, type Channel } from '../../../../shared/channel';
import type { Address, ConversationDetail, Message } from '../../../../shared/conversation';
import { formatRecipientList, parseRecipientList } from '../../../../shared/recipient-list';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Field, fieldAria } from '../../components/Field';
import { useChannelsStore } from '../channels/store';
import { useSettingsStore } from '../settings/store';
import {
  UNDO_SECONDS,
  useComposerStore,
  type Collision,
  type ComposerMode,
  type DraftStatus,
  type RecipientField,
  type RecipientFields,
} from './composer-store';
import { displayName, formatAddress, formatSize, fullTime, shown, timeAgo } from './format';
import { notTheCustomer, replyRecipients } from './recipients';
import { useReplyingPresence } from './replying';
import { SavedReplyPicker } from './SavedReplyPicker';
import { SendStatusBar } from './SendStatusBar';

const MODES: { mode: ComposerMode; label: string }[] = [
  { mode: 'reply', label: 'Reply' },
  { mode: 'reply-all', label: 'Reply all' },
  { mode: 'forward', label: 'Forward' },
  { mode: 'note', label: 'Note' },
];

const DRAFT_LABEL: Partial<Record<DraftStatus, string>> = {
  loading: 'Loading draft…',
  unsaved: 'Draft',
  saving: 'Saving draft…',
  saved: 'Draft saved',
  failed: 'Draft not saved',
};

const isMac = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent);
const SEND_KEYS = isMac ? '⌘+Enter' : 'Ctrl+Enter';

function RecipientLine({ label, addresses }: { label: string; addresses: Address[] }) {
  return (
    <div className="composer-recipient">
      <dt>{label}</dt>
      <dd>{addresses.length > 0 ? addresses.map(formatAddress).join(', ') : <span className="muted">—</span>}</dd>
    </div>
  );
}

const FIELD_LABEL: Record<RecipientField, string> = { to: 'To', cc: 'Cc', bcc: 'Bcc' };

/**
 * To, Cc and Bcc, editable, starting from the mode's defaults. Addresses are separated by commas;
 * each field says what is wrong with it when Send finds a problem.
 */
function RecipientFieldsEditor({ fields, disabled }: { fields: RecipientFields; disabled: boolean }) {
  const errors = useComposerStore((s) => s.recipientErrors);
  const actions = useComposerStore.getState();
  return (
    <div className="composer-recipient-fields">
      {(['to', 'cc', 'bcc'] as const).map((field) => {
        const id = `composer-${field}`;
        return (
          <div key={field} className={errors[field] ? 'composer-recipient-field field-invalid' : 'composer-recipient-field'}>
            <label htmlFor={id} className="composer-recipient-label">
              {FIELD_LABEL[field]}
            </label>
            <input
              className="input composer-recipient-input"
              type="text"
              autoComplete="off"
              spellCheck={false}
              readOnly={disabled}
              value={fields[field]}
              placeholder={field === 'bcc' ? 'Gets a copy; nobody else sees it' : field === 'cc' ? 'name@example.com, …' : undefined}
              onChange={(event) => actions.setRecipients({ ...fields, [field]: event.target.value })}
              onKeyDown={(event) => {
                if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
                  event.preventDefault();
                  void actions.submit();
                }
              }}
              {...fieldAria(id, errors[field])}
            />
            {errors[field] ? (
              <p id={`${id}-error`} className="field-error composer-recipient-error">
                {errors[field]}
              </p>
            ) : null}
          </div>
        );
      })}
    </div>
  );
}

/** Someone else answered, or is answering: said before anything is sent, with the way on. */
function CollisionWarning({ collision }: { collision: Collision }) {
  const actions = useComposerStore.getState();
  const text =
    collision.kind === 'replied' ? `${collision.who} replied ${timeAgo(collision.at)} — send anyway?` : `${collision.who} is replying right now — send anyway?`;
  return (
    <div className="note note-warn composer-collision" role="alert">
      <p>
        <strong>{text}</strong>{' '}
        {collision.kind === 'replied' ? 'Their reply is in the thread above; read it before you send yours.' : 'Two answers may reach the customer.'}
      </p>
      <div className="composer-collision-actions">
        <button type="button" className="btn btn-primary btn-small" onClick={() => void actions.submit({ anyway: true })}>
          Send anyway
        </button>
        <button type="button" className="btn btn-secondary btn-small" onClick={actions.dismissCollision}>
          Don’t send
        </button>
      </div>
    </div>
  );
}

/** Which message a forward carries, with its files. */
function ForwardedSummary({ message }: { message: Message | undefined }) {
  if (!message) return <p className="composer-forwarding muted">Choose Forward on a message of the thread.</p>;
  const files = message.attachments.length;
  return (
    <p className="composer-forwarding">
      <strong>Forwarding</strong> the message from {displayName(message.from)} of {fullTime(message.date)}
      {files > 0 ? `, with ${files === 1 ? 'its attachment' : `its ${files} attachments`}` : ''}. Choose Forward on another message to forward that one instead.
      People you forward to do not join the conversation; their answers arrive as conversations of their own.
    </p>
  );
}

/**
 * "Attach files" opens the system file picker; each chosen file is stored with the draft at once,
 * listed as uploading until it is, then with its size and a remove button.
 */
function Attachments({ disabled }: { disabled: boolean }) {
  const files = useComposerStore((s) => s.attachments);
  const problem = useComposerStore((s) => s.attachError);
  const input = useRef<HTMLInputElement>(null);
  const actions = useComposerStore.getState();
  const total = files.reduce((sum, f) => sum + f.size, 0);
  return (
    <div className="composer-attachments">
      <div className="composer-attachments-bar">
        <input
          ref={input}
          type="file"
          multiple
          hidden
          tabIndex={-1}
          onChange={(event) => {
            const chosen = [...(event.target.files ?? [])];
            // Cleared, so picking the same file again (after removing it) is noticed.
            event.target.value = '';
            void actions.addFiles(chosen);
          }}
        />
        <button type="button" className="btn btn-secondary btn-small" aria-disabled={disabled || undefined} onClick={() => !disabled && input.current?.click()}>
          Attach files
        </button>
        <span className="muted composer-attachments-limit">
          {files.length > 0 ? `${formatSize(total)} of ${megabytes(MAX_REPLY_ATTACHMENT_BYTES)}` : `Up to ${megabytes(MAX_REPLY_ATTACHMENT_BYTES)} in total`}
        </span>
      </div>
      {files.length > 0 ? (
        <ul className="composer-attachment-list" aria-label="Attached files">
          {files.map((file) => (
            <li key={file.key} className="composer-attachment">
              <span className="attachment-name text-break">{shown(file.filename)}</span>
              <span className="muted attachment-size">{file.id === null ? `${formatSize(file.size)}, uploading…` : formatSize(file.size)}</span>
              {file.id === null ? null : (
                <button
                  type="button"
                  className="btn btn-ghost btn-small"
                  aria-label={`Remove ${file.filename}`}
                  onClick={() => void actions.removeAttachment(file.key)}
                >
                  Remove
                </button>
              )}
            </li>
          ))}
        </ul>
      ) : null}
      {problem ? (
        <p className="field-error" role="alert">
          {problem}
        </p>
      ) : null}
    </div>
  );
}

/**
 * One composer, four modes: Reply (to the customer), Reply all (keeps Cc), Forward (a message of
 * the thread, with its files, to someone outside it) and Note (internal, never sent). Shows who a
 * reply goes to, editable, and the signatures that will be added below it.
 */
export function Composer({ detail }: { detail: ConversationDetail }) {
  const conversationId = detail.conversation.id;
  const mode = useComposerStore((s) => s.mode);
  const text = useComposerStore((s) => s.text);
  const draft = useComposerStore((s) => s.draft);
  const textError = useComposerStore((s) => s.textError);
  const error = useComposerStore((s) => s.error);
  const busy = useComposerStore((s) => s.busy);
  const focusRequest = useComposerStore((s) => s.focusRequest);
  const openedFor = useComposerStore((s) => s.conversationId);
  const edited = useComposerStore((s) => s.recipients);
  const forwardOf = useComposerStore((s) => s.forwardOf);
  const collision = useComposerStore((s) => s.collision);
  const me = useSettingsStore((s) => s.agents.find((a) => a.id === s.meAgentId));
  const channel: Channel | undefined = useChannelsStore((s) => s.channels.find((c) => c.id === detail.conversation.channelId));
  const textRef = useRef<HTMLTextAreaElement>(null);
  const titleId = useId();
  const [picking, setPicking] = useState(false);
  // Where the cursor was when the picker opened: the saved reply goes there.
  const caret = useRef(0);
  const openPicker = () => {
    caret.current = textRef.current?.selectionStart ?? text.length;
    setPicking(true);
  };
  const isNote = mode === 'note';

  useEffect(() => {
    useComposerStore.getState().open(conversationId);
  }, [conversationId]);

  useReplyingPresence(conversationId, openedFor === conversationId && !isNote && mode !== 'forward' && text.trim() !== '');

  // A draft found on opening begins where the thread stood when it was shown.
  useEffect(() => {
    useComposerStore.getState().sawThread(detail);
  }, [detail, text]);

  // Only a request made while this composer is shown takes focus: opening a conversation must leave
  // the focus (and the scroll position) with the reader, not jump to the text box.
  const seenFocusRequest = useRef(focusRequest);
  useEffect(() => {
    if (focusRequest === seenFocusRequest.current) return;
    seenFocusRequest.current = focusRequest;
    // A forward begins with who it goes to.
    const state = useComposerStore.getState();
    const to = state.mode === 'forward' && !state.recipients?.to ? document.getElementById('composer-to') : null;
    (to ?? textRef.current)?.focus();
  }, [focusRequest]);

  // A reload or closed window must not lose the last half second of typing.
  useEffect(() => {
    const save = () => void useComposerStore.getState().flushDraft();
    window.addEventListener('pagehide', save);
    return () => {
      window.removeEventListener('pagehide', save);
      save();
    };
  }, []);

  const ready = openedFor === conversationId;
  const own = channel ? channelOwnAddresses(channel) : [];
  const isForward = mode === 'forward';
  const defaults = isNote || isForward ? null : replyRecipients(mode, detail.conversation, detail.messages, own);
  const fields: RecipientFields | null = isNote
    ? null
    : (edited ?? { to: defaults ? formatRecipientList(defaults.to) : '', cc: defaults ? formatRecipientList(defaults.cc) : '', bcc: '' });
  // Who the reply goes to as it stands (as typed, once that reads as addresses).
  const typedTo = fields ? parseRecipientList(fields.to) : null;
  const to = typedTo?.ok ? typedTo.value : (defaults?.to ?? []);
  const elsewhere = fields && !isForward ? notTheCustomer({ to, cc: [] }, detail.conversation.customer) : [];
  const forwarded = isForward ? detail.messages.find((m) => m.id === forwardOf) : undefined;
  const signature = channel?.inbox.signature?.trim() ? channel.inbox.signature : '';
  const ownSignature = me?.signature?.trim() ? me.signature : '';
  const actions = useComposerStore.getState();
  const label = isNote ? 'Note' : 'Message';
  const hint = isNote
    ? `Only your team sees notes; they are never emailed. ${SEND_KEYS} adds it.`
    : `**bold**, *italic*, [link](https://…) and “- ” lists are sent formatted. ${SEND_KEYS} sends; you can undo for ${UNDO_SECONDS} seconds.`;
  // Notes carry no files: the button and the list are for replies (files attached stay with the draft).

  return (
    <section className={isNote ? 'composer composer-note' : 'composer'} aria-labelledby={titleId}>
      <h3 id={titleId} className="sr-only">
        {isNote ? 'Add an internal note' : mode === 'reply-all' ? 'Reply to all' : isForward ? 'Forward a message' : 'Reply'}
      </h3>
      <SendStatusBar conversationId={conversationId} messages={detail.messages} />
      <div className="composer-modes" role="group" aria-label="Compose">
        {MODES.map((m) => (
          <button
            key={m.mode}
            type="button"
            className={m.mode === mode ? 'composer-mode composer-mode-on' : 'composer-mode'}
            aria-pressed={m.mode === mode}
            onClick={() => actions.setMode(m.mode)}
          >
            {m.label}
          </button>
        ))}
      </div>
      <form
        className="composer-form"
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          void actions.submit();
        }}
      >
        {channel && !channel.enabled && !isNote ? (
          <p className="note note-warn composer-held" role="note">
            The channel {channel.name} is disabled. Replies you send wait in the outbox and go out once an admin enables it under Channels.
          </p>
        ) : null}
        {fields ? (
          <div className="composer-recipients" role="group" aria-label="Recipients">
            {channel ? (
              <dl>
                <RecipientLine label="From" addresses={[{ name: channel.smtp.fromName, address: channel.smtp.fromAddress }]} />
              </dl>
            ) : null}
            {isForward ? <ForwardedSummary message={forwarded} /> : null}
            <RecipientFieldsEditor fields={fields} disabled={busy || !ready} />
            {elsewhere.length > 0 ? (
              // A Reply-To (or an edit) may name anyone: say so before the agent sends a customer's answer there.
              <p className="composer-elsewhere">
                <strong>Not the customer:</strong> this reply goes to {elsewhere.map(formatAddress).join(', ')}
                {edited ? ', as you entered' : ', as the message it answers asks (Reply-To)'}. The conversation's customer is{' '}
                {formatAddress(detail.conversation.customer)}.
              </p>
            ) : null}
          </div>
        ) : (
          <p className="composer-note-banner">
            <span className="note-label">Internal note</span> Never sent to the customer.
          </p>
        )}
        <Field
          id="composer-text"
          label={label}
          error={textError ?? undefined}
          hint={hint}
          aside={ready && DRAFT_LABEL[draft] ? <span className={draft === 'failed' ? 'text-warn' : undefined}>{DRAFT_LABEL[draft]}</span> : null}
        >
          <textarea
            ref={textRef}
            className="input textarea composer-text"
            rows={isNote ? 3 : 6}
            value={ready ? text : ''}
            readOnly={busy || !ready}
            onChange={(event) => actions.setText(event.target.value)}
            onKeyDown={(event) => {
              if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
                event.preventDefault();
                void actions.submit();
              } else if (event.key === '/' && (event.ctrlKey || event.metaKey)) {
                event.preventDefault();
                openPicker();
              }
            }}
            {...fieldAria('composer-text', textError ?? undefined, { hint: true })}
          />
        </Field>
        <div className="composer-tools">
          <button
            type="button"
            className="btn btn-secondary btn-small"
            aria-keyshortcuts={isMac ? 'Meta+/' : 'Control+/'}
            aria-expanded={picking}
            onClick={() => (picking ? setPicking(false) : openPicker())}
          >
            Saved replies <kbd aria-hidden="true">{isMac ? '⌘/' : 'Ctrl+/'}</kbd>
          </button>
        </div>
        {picking ? (
          <SavedReplyPicker
            onInsert={(body) => {
              setPicking(false);
              actions.insertText(body, caret.current);
            }}
            onClose={() => {
              setPicking(false);
              textRef.current?.focus();
            }}
          />
        ) : null}
        {isNote ? null : <Attachments disabled={busy || !ready} />}
        {isNote ? null : (
          <div className="composer-signature">
            <span className="composer-signature-label">Signature</span>
            {signature || ownSignature ? (
              <pre className="composer-signature-text" aria-label="Signature preview">{`-- \n${[ownSignature, signature].filter(Boolean).join('\n\n')}`}</pre>
            ) : null}
            {signature ? null : (
              <p className="muted composer-signature-none">
                {channel ? 'This channel has no signature. Add one under Channels → Edit → Inbox Settings.' : 'No signature.'}
              </p>
            )}
            {ownSignature ? null : <p className="muted composer-signature-none">Add your own signature, above the channel’s, under Settings → Who are you?</p>}
          </div>
        )}
        {error ? <ErrorAlert error={error.error} title={error.title} onDismiss={actions.dismissError} /> : null}
        {collision && !isNote ? <CollisionWarning collision={collision} /> : null}
        <div className="composer-actions">
          <button type="submit" className={isNote ? 'btn btn-secondary' : 'btn btn-primary'} aria-disabled={busy || !ready || undefined}>
            {isNote ? 'Add note' : busy ? 'Sending…' : 'Send'}
          </button>
        </div>
      </form>
    </section>
  );
}
