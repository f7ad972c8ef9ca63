import { useEffect, useId, useRef } from 'react';
import { ErrorAlert } from '../../components/ErrorAlert';
import { answeredWithoutReply } from './answered';
import { BinNotice } from './BinNotice';
import { Composer } from './Composer';
import { CustomerPanel } from './CustomerPanel';
import { ConversationActions } from './ConversationActions';
import { useConversationStore } from './conversation-store';
import { AddressText } from './AddressText';
import { replyingText, shown } from './format';
import { MessageItem } from './MessageItem';
import { useInboxStore } from './store';
import { inboxViewHref } from '../../lib/router';

/** Room (px) left above the newest message when a conversation opens, so its header shows whole. */
const THREAD_TOP_GAP = 12;

/** The open conversation: header with actions, the thread oldest to newest, and the composer (reply, reply all, note). */
export function ConversationPane() {
  const detail = useConversationStore((s) => s.detail);
  const loading = useConversationStore((s) => s.loading);
  const error = useConversationStore((s) => s.error);
  const actionError = useConversationStore((s) => s.actionError);
  const clearActionError = useConversationStore((s) => s.clearActionError);
  const headingId = useId();
  const view = useInboxStore((s) => s.filters.view);
  const threadRef = useRef<HTMLDivElement>(null);
  const conversationId = detail?.conversation.id;
  const messageCount = detail?.messages.length ?? 0;

  // Start at the top of the newest message, where the reading continues: not at the bottom, where
  // a long message would be shown by its last lines and the composer.
  useEffect(() => {
    const thread = threadRef.current;
    const newest = thread?.querySelector<HTMLElement>('.thread-list > li:last-child');
    if (!thread || !newest) return;
    thread.scrollTop += newest.getBoundingClientRect().top - thread.getBoundingClientRect().top - THREAD_TOP_GAP;
  }, [conversationId, messageCount]);

  if (error)
    return (
      <div className="pane-pad">
        <ErrorAlert error={error} title="This conversation could not be opened." />
      </div>
    );
  if (!detail) {
    return (
      <p className="muted pane-pad" role="status">
        {loading ? 'Opening conversation…' : ''}
      </p>
    );
  }

  const { conversation, messages } = detail;
  const ordered = [...messages].sort((a, b) => a.date.localeCompare(b.date) || a.id - b.id);
  const answeredElsewhere = answeredWithoutReply(ordered);
  return (
    <section className="conversation" aria-labelledby={headingId}>
      <header className="conversation-header">
        <a className="icon-btn conversation-back" href={inboxViewHref(view)}>
          <span aria-hidden="true">←</span>
          <span className="sr-only">Back to the list</span>
        </a>
        <div className="conversation-titles">
          <h2 id={headingId} className="conversation-subject">
            {shown(conversation.subject) || '(no subject)'}
          </h2>
          <p className="muted conversation-customer">
            <AddressText address={conversation.customer} />
          </p>
        </div>
        <ConversationActions conversation={conversation} />
      </header>
      <BinNotice conversation={conversation} />
      {actionError ? (
        <div className="pane-pad">
          <ErrorAlert error={actionError} onDismiss={clearActionError} title="The change was not saved." />
        </div>
      ) : null}
      <div className="conversation-body">
        <div ref={threadRef} className="thread">
          <ol role="list" className="thread-list" aria-label="Messages">
            {ordered.map((message) => (
              <li key={message.id}>
                <MessageItem message={message} answeredElsewhere={answeredElsewhere.has(message.id)} />
              </li>
            ))}
          </ol>
          {/* Someone on another desktop is answering: say so before a second answer is written. */}
          <p className="replying-notice" role="status">
            {conversation.replying && conversation.replying.length > 0 ? replyingText(conversation.replying) : ''}
          </p>
          <Composer detail={detail} />
        </div>
        <CustomerPanel conversation={conversation} />
      </div>
    </section>
  );
}
