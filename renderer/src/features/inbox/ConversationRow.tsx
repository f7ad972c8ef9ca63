import { memo, type MouseEvent } from 'react';
import type { ConversationSummary } from '../../../../shared/conversation';
import { conversationHref } from '../../lib/router';
import { displayName, fullTime, replyingText, shortTime, shown, STATUS_LABEL } from './format';

/** Every row has this height (px); the list relies on it instead of measuring. Keep in step with .conv-row. */
export const ROW_HEIGHT = 84;

export interface ConversationRowProps {
  conversation: ConversationSummary;
  /** The conversation open in the reading pane. */
  open: boolean;
  /** Part of the multi-selection for bulk actions. */
  checked: boolean;
  /** The row that holds the list's one Tab stop. */
  tabStop: boolean;
  assignee: string | null;
  channel: string | null;
  /** The channel is disabled: replies waiting in the outbox are held, not just slow. */
  channelDisabled: boolean;
  onToggle(id: number, range: boolean): void;
}

/**
 * Why this row needs attention beyond being unread: a reply that failed, one a disabled channel
 * holds, or its mail not yet moved to the server's Trash (or Junk) because that failed.
 */
function replyFlag(c: ConversationSummary, channelDisabled: boolean): { label: string; tone: 'bad' | 'warn' } | null {
  if (c.mailboxMove?.error) return { label: `Not moved to ${c.mailboxMove.folder === 'trash' ? 'Trash' : 'Junk'} on the server`, tone: 'warn' };
  if (c.failedReplies > 0) return { label: c.failedReplies === 1 ? 'Reply not sent' : `${c.failedReplies} replies not sent`, tone: 'bad' };
  if (c.queuedReplies > 0 && channelDisabled) return { label: 'Reply held: channel disabled', tone: 'warn' };
  return null;
}

/**
 * One conversation in the list: a checkbox for bulk actions and a link that opens it. Ctrl/Cmd-click
 * adds to the selection and Shift-click selects a range, as in a mail program. Memoised: scrolling
 * re-renders only rows that enter the view.
 */
export const ConversationRow = memo(function ConversationRow({
  conversation: c,
  open,
  checked,
  tabStop,
  assignee,
  channel,
  channelDisabled,
  onToggle,
}: ConversationRowProps) {
  const className = ['conv-row', c.unread ? 'conv-row-unread' : null, open ? 'conv-row-selected' : null, checked ? 'conv-row-checked' : null]
    .filter(Boolean)
    .join(' ');
  const flag = replyFlag(c, channelDisabled);
  const subject = shown(c.subject) || '(no subject)';

  function onClick(event: MouseEvent<HTMLAnchorElement>) {
    if (!event.shiftKey && !event.ctrlKey && !event.metaKey) return;
    event.preventDefault();
    onToggle(c.id, event.shiftKey);
  }

  return (
    <div className="conv-row-wrap">
      <input
        type="checkbox"
        className="checkbox conv-check"
        tabIndex={-1}
        checked={checked}
        aria-label={`Select ${subject}`}
        onChange={() => undefined}
        onClick={(event) => onToggle(c.id, event.shiftKey)}
      />
      <a
        className={className}
        href={conversationHref(c.id)}
        aria-current={open ? 'true' : undefined}
        tabIndex={tabStop ? 0 : -1}
        data-id={c.id}
        onClick={onClick}
      >
        <span className="conv-line">
          {c.unread ? <span className="unread-dot" role="img" aria-label="Unread" /> : null}
          <span className="conv-customer" title={shown(c.customer.address)}>
            {displayName(c.customer)}
          </span>
          <time className="conv-time" dateTime={c.lastMessageAt} title={fullTime(c.lastMessageAt)}>
            {shortTime(c.lastMessageAt)}
          </time>
        </span>
        <span className="conv-subject">{subject}</span>
        <span className="conv-line conv-meta">
          {/* A failed or held reply first; else another desktop's agent writing here now, said in place of the snippet, so two do not answer at once. */}
          {flag ? (
            <span className={`conv-flag conv-flag-${flag.tone}`}>{flag.label}</span>
          ) : c.replying && c.replying.length > 0 ? (
            <span className="conv-snippet conv-replying">{replyingText(c.replying)}</span>
          ) : (
            <span className="conv-snippet">{shown(c.snippet)}</span>
          )}
          <span className={`conv-status conv-status-${c.status}`}>{STATUS_LABEL[c.status]}</span>
          <span className="conv-assignee">{assignee ?? 'Unassigned'}</span>
          {channel ? <span className="conv-channel">{channel}</span> : null}
        </span>
      </a>
    </div>
  );
});
