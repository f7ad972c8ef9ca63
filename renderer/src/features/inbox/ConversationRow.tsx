import { memo } from 'react';
import type { ConversationSummary } from '../../../../shared/conversation';
import { conversationHref } from '../../lib/router';
import { displayName, fullTime, replyingText, shortTime, shown, STATUS_LABEL } from './format';

/** Every row has this height (px); the list relies on it instead of measuring. Keep in step with .conv-row. */
export const ROW_HEIGHT = 84;

export interface ConversationRowProps {
  conversation: ConversationSummary;
  selected: boolean;
  assignee: string | null;
  channel: string | null;
}

/** One conversation in the list. Memoised: scrolling re-renders only rows that enter the view. */
export const ConversationRow = memo(function ConversationRow({ conversation: c, selected, assignee, channel }: ConversationRowProps) {
  const className = ['conv-row', c.unread ? 'conv-row-unread' : null, selected ? 'conv-row-selected' : null].filter(Boolean).join(' ');
  return (
    <a className={className} href={conversationHref(c.id)} aria-current={selected ? 'true' : undefined}>
      <span className="conv-line">
        {c.unread ? <span className="unread-dot" role="img" aria-label="Unread" /> : null}
        <span className="conv-customer" title={shown(c.customer.address)}>
          {displayName(c.customer)}
        </span>
        <time className="conv-time" dateTime={c.lastMessageAt} title={fullTime(c.lastMessageAt)}>
          {shortTime(c.lastMessageAt)}
        </time>
      </span>
      <span className="conv-subject">{shown(c.subject) || '(no subject)'}</span>
      <span className="conv-line conv-meta">
        {/* Another desktop's agent writing here now: said in place of the snippet, so two do not answer at once. */}
        {c.replying && c.replying.length > 0 ? (
          <span className="conv-snippet conv-replying">{replyingText(c.replying)}</span>
        ) : (
          <span className="conv-snippet">{shown(c.snippet)}</span>
        )}
        <span className={`conv-status conv-status-${c.status}`}>{STATUS_LABEL[c.status]}</span>
        <span className="conv-assignee">{assignee ?? 'Unassigned'}</span>
        {channel ? <span className="conv-channel">{channel}</span> : null}
      </span>
    </a>
  );
});
