import { useEffect, useId, useRef, useState } from 'react';
import { MAX_REPLY_ATTACHMENT_BYTES, megabytes } from '../../../../shared/attachments';
import { channelOwnAddresses, type Channel } from '../../../../shared/channel';
import type { Address, ConversationDetail } from '../../../../shared/conversation';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Field, fieldAria } from '../../components/Field';
import { useChannelsStore } from '../channels/store';
import { UNDO_SECONDS, useComposerStore, type ComposerMode, type DraftStatus } from './composer-store';
import { formatAddress, formatSize, shown } from './format';
import { notTheCustomer, replyRecipients } from './recipients';
import { useReplyingPresence } from './replying';
import { SavedReplyPicker } from './SavedReplyPicker';
import { SendStatusBar } from './SendStatusBar';

const MODES: { mode: ComposerMode; label: string }[] = [
  { mode: 'reply', label: 'Reply' },
  { mode: 'reply-all', label: 'Reply all' },
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
                <button type="button" className="btn btn-ghost btn-small" aria-label={`Remove ${file.filename}`} onClick={() => void actions.removeAttachment(file.key)}>
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
 * One composer, three modes: Reply (to the customer), Reply all (keeps Cc) and Note (internal,
 * never sent). Shows who a reply goes to and the signature that will be added below it.
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

  useReplyingPresence(conversationId, openedFor === conversationId && !isNote && text.trim() !== '');

  // Only a request made while this composer is shown takes focus: opening a conversation must leave
  // the focus (and the scroll position) with the reader, not jump to the text box.
  const seenFocusRequest = useRef(focusRequest);
  useEffect(() => {
    if (focusRequest === seenFocusRequest.current) return;
    seenFocusRequest.current = focusRequest;
    textRef.current?.focus();
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
  const recipients = isNote ? null : replyRecipients(mode, detail.conversation, detail.messages, own);
  const elsewhere = recipients ? notTheCustomer(recipients, detail.conversation.customer) : [];
  const signature = channel?.inbox.signature?.trim() ? channel.inbox.signature : '';
  const actions = useComposerStore.getState();
  const label = isNote ? 'Note' : 'Message';
  const hint = isNote
    ? `Only your team sees notes; they are never emailed. ${SEND_KEYS} adds it.`
    : `**bold**, *italic*, [link](https://…) and “- ” lists are sent formatted. ${SEND_KEYS} sends; you can undo for ${UNDO_SECONDS} seconds.`;
  // Notes carry no files: the button and the list are for replies (files attached stay with the draft).

  return (
    <section className={isNote ? 'composer composer-note' : 'composer'} aria-labelledby={titleId}>
      <h3 id={titleId} className="sr-only">
        {isNote ? 'Add an internal note' : mode === 'reply-all' ? 'Reply to all' : 'Reply'}
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
        {recipients ? (
          <>
            <dl className="composer-recipients" aria-label="Recipients">
              {channel ? <RecipientLine label="From" addresses={[{ name: channel.smtp.fromName, address: channel.smtp.fromAddress }]} /> : null}
              <RecipientLine label="To" addresses={recipients.to} />
              {mode === 'reply-all' ? <RecipientLine label="Cc" addresses={recipients.cc} /> : null}
            </dl>
            {elsewhere.length > 0 ? (
              // A Reply-To may name anyone: say so before the agent sends a customer's answer there.
              <p className="composer-elsewhere">
                <strong>Not the customer:</strong> this reply goes to {elsewhere.map(formatAddress).join(', ')}, as the message it answers
                asks (Reply-To). The conversation's customer is {formatAddress(detail.conversation.customer)}.
              </p>
            ) : null}
          </>
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
          <button type="button" className="btn btn-secondary btn-small" aria-keyshortcuts={isMac ? 'Meta+/' : 'Control+/'} aria-expanded={picking} onClick={() => (picking ? setPicking(false) : openPicker())}>
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
            {signature ? (
              <pre className="composer-signature-text" aria-label="Signature preview">{`-- \n${signature}`}</pre>
            ) : (
              <p className="muted composer-signature-none">
                {channel ? 'This channel has no signature. Add one under Channels → Edit → Inbox Settings.' : 'No signature.'}
              </p>
            )}
          </div>
        )}
        {error ? <ErrorAlert error={error.error} title={error.title} onDismiss={actions.dismissError} /> : null}
        <div className="composer-actions">
          <button type="submit" className={isNote ? 'btn btn-secondary' : 'btn btn-primary'} aria-disabled={busy || !ready || undefined}>
            {isNote ? 'Add note' : busy ? 'Sending…' : 'Send'}
          </button>
        </div>
      </form>
    </section>
  );
}
