import { memo, useId, useMemo } from 'react';
import { replyHtml } from '../../../../shared/formatting';
import type { Address, Message } from '../../../../shared/conversation';
import { attachmentUrl } from '../../lib/api';
import { AddressText } from './AddressText';
import { useComposerStore } from './composer-store';
import { DeliveryState } from './DeliveryState';
import { displayName, formatSize, fullTime, KIND_LABEL, shown } from './format';
import { FormattedBody, HtmlBody, PlainBody, RawBody } from './MessageBody';

function AddressLine({ label, addresses }: { label: string; addresses: Address[] }) {
  if (addresses.length === 0) return null;
  return (
    <div className="message-address">
      <dt>{label}</dt>
      <dd>
        {/* Each address is one unit: it moves to the next line whole rather than breaking mid-word. */}
        {addresses.map((address, i) => (
          <span key={`${address.address}-${i}`}>
            {i > 0 ? ', ' : null}
            <AddressText address={address} />
          </span>
        ))}
      </dd>
    </div>
  );
}

/**
 * Who sent a reply found in the mailbox rather than from this desktop (it has no delivery of ours):
 * the agent our outbox named in it, or else a mail client outside Auxilium.
 */
function sentElsewhereLabel(message: Message): string | null {
  if (message.direction !== 'outbound' || message.delivery) return null;
  return message.sentBy ? `Sent by ${message.sentBy}` : 'Sent from another mail client';
}

/**
 * One message of the thread; notes look different (yellow) and say so in words, not only colour.
 * `answeredElsewhere`: the customer's message is \Answered on the server but no reply follows it here.
 */
export const MessageItem = memo(function MessageItem({ message, answeredElsewhere = false }: { message: Message; answeredElsewhere?: boolean }) {
  const headingId = useId();
  const isNote = message.direction === 'note';
  // An outgoing reply says who sent it below; "Sent by us" on top would only repeat it.
  const kind = message.direction === 'outbound' && message.kind === 'own' ? undefined : KIND_LABEL[message.kind];
  // Pictures shown inside the HTML are listed too, so they can be saved like any other file.
  const attachments = message.attachments;
  const sentElsewhere = sentElsewhereLabel(message);
  // An agent's reply shows as the customer got it: the simple formatting typed in the composer, applied.
  const formatted = useMemo(
    () => (message.direction === 'outbound' && !message.html ? replyHtml(message.text) : null),
    [message.direction, message.html, message.text],
  );
  const className = [
    'message',
    isNote ? 'message-note' : null,
    message.direction === 'outbound' ? 'message-outbound' : null,
    message.delivery?.state === 'failed' ? 'message-failed' : null,
  ]
    .filter(Boolean)
    .join(' ');

  return (
    <article className={className} aria-labelledby={headingId}>
      <header className="message-header">
        <h3 id={headingId} className="message-from">
          {isNote ? <span className="note-label">Internal note</span> : null}
          {isNote ? <span>{displayName(message.from)}</span> : <AddressText address={message.from} />}
        </h3>
        <div className="message-badges">
          {kind ? <span className={`badge badge-kind badge-kind-${message.kind}`}>{kind}</span> : null}
          {message.forwardOf ? <span className="badge badge-forwarded">Forwarded</span> : null}
          <time className="message-time" dateTime={message.date}>
            {fullTime(message.date)}
          </time>
        </div>
      </header>
      {isNote ? null : (
        <dl className="message-addresses">
          <AddressLine label="To" addresses={message.to} />
          <AddressLine label="Cc" addresses={message.cc} />
          <AddressLine label="Bcc" addresses={message.bcc ?? []} />
        </dl>
      )}
      {message.forwardOf ? (
        <p className="message-forwarded">
          Forwarded with the attachments of the message it forwards. Answers from its recipients start conversations of their own.
        </p>
      ) : null}
      {message.parseError ? (
        <RawBody messageId={message.id} reason={message.parseError} />
      ) : message.html && !isNote ? (
        <HtmlBody html={message.html} title={`Message from ${displayName(message.from)}`} messageId={message.id} />
      ) : formatted ? (
        <FormattedBody html={formatted} />
      ) : (
        <PlainBody text={message.text} />
      )}
      {attachments.length > 0 ? (
        <div className="attachments">
          <h4 className="attachments-title">Attachments ({attachments.length})</h4>
          <ul role="list" className="attachment-list">
            {attachments.map((attachment) => (
              <li key={attachment.id} className="attachment">
                <PaperclipIcon />
                <span className="attachment-name text-break">{shown(attachment.filename) || '(unnamed)'}</span>
                <span className="muted attachment-size">
                  {formatSize(attachment.size)}
                  {attachment.inline && message.html ? ' · in the message' : ''}
                </span>
                {/* Always a download (the host sends it as one), never opened inside the app. */}
                <a className="btn btn-ghost btn-small" href={attachmentUrl(attachment.id)} download>
                  Download<span className="sr-only"> {shown(attachment.filename) || '(unnamed)'}</span>
                </a>
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      {message.direction === 'outbound' && message.delivery ? <DeliveryState message={message} /> : null}
      {sentElsewhere ? <p className="message-sent-by muted">{sentElsewhere}</p> : null}
      {isNote ? null : (
        <div className="message-actions">
          <button type="button" className="btn btn-ghost btn-small" onClick={() => useComposerStore.getState().forward(message.id)}>
            Forward<span className="sr-only"> the message from {displayName(message.from)}</span>
          </button>
        </div>
      )}
      {answeredElsewhere ? (
        <p className="message-answered-elsewhere" role="note">
          Answered outside Auxilium — the reply is not in the Sent folder we watch.
        </p>
      ) : null}
    </article>
  );
});

function PaperclipIcon() {
  return (
    <svg
      className="attachment-icon"
      width="14"
      height="14"
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      strokeWidth="2"
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden="true"
      focusable="false"
    >
      <path d="M21.44 11.05l-9.19 9.19a6 6 0 0 1-8.49-8.49l9.19-9.19a4 4 0 0 1 5.66 5.66l-9.2 9.19a2 2 0 0 1-2.83-2.83l8.49-8.48" />
    </svg>
  );
}
