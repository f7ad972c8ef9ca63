import { useCallback, useEffect, useState } from 'react';
import { ErrorAlert } from '../../components/ErrorAlert';
import { parseInboxLocation, useHash } from '../../lib/router';
import { useChannelsStore } from '../channels/store';
import { useSettingsLive } from '../settings/store';
import { ConversationList } from './ConversationList';
import { ConversationPane } from './ConversationPane';
import { useConversationStore } from './conversation-store';
import { BulkBar } from './BulkBar';
import { DeleteConversationsDialog } from './DeleteConversationsDialog';
import { InboxFilterBar } from './InboxFilterBar';
import { VIEW_LABEL } from './InboxNav';
import { useInboxShortcuts } from './shortcuts';
import { ShortcutsDialog } from './ShortcutsDialog';
import { DEFAULT_STATUS, useInboxStore } from './store';

/** The list of conversations on the left, the open one on the right; both follow the hash. */
export function InboxPage() {
  const hash = useHash();
  const { view, conversationId } = parseInboxLocation(hash);
  const currentView = useInboxStore((s) => s.filters.view);
  const total = useInboxStore((s) => s.total);
  const loading = useInboxStore((s) => s.loading);
  const error = useInboxStore((s) => s.error);
  const clearError = useInboxStore((s) => s.clearError);
  const [helpOpen, setHelpOpen] = useState(false);
  const showHelp = useCallback(() => setHelpOpen(true), []);
  useSettingsLive();
  useInboxShortcuts(showHelp);

  useEffect(() => {
    const inbox = useInboxStore.getState();
    // Coming back to the page shows what changed while it was away.
    void inbox.reload();
    const offConversation = useConversationStore.getState().subscribe();
    const channels = useChannelsStore.getState();
    const offChannels = channels.subscribe();
    if (channels.channels.length === 0) void channels.load();
    return () => {
      offConversation();
      offChannels();
      // Unsubscribed, the open conversation would go stale; it is fetched afresh next time.
      void useConversationStore.getState().open(null);
    };
  }, []);

  useEffect(() => {
    // Each view starts on its usual statuses: the queues on the work to do, failed replies, spam and deleted on all of them.
    if (view) useInboxStore.getState().setFilters({ view, status: ['failed', 'spam', 'deleted'].includes(view) ? null : DEFAULT_STATUS });
  }, [view]);

  useEffect(() => {
    void useConversationStore.getState().open(conversationId);
  }, [conversationId]);

  return (
    <div className="inbox">
      <header className="inbox-header">
        <div className="inbox-title-row">
          <h1 className="page-title">
            Inbox <span className="inbox-title-view">· {VIEW_LABEL[currentView]}</span>
          </h1>
          <p className="muted inbox-total" role="status">
            {loading ? 'Loading…' : `${total.toLocaleString()} ${total === 1 ? 'conversation' : 'conversations'}`}
          </p>
          <button type="button" className="btn btn-ghost btn-small inbox-help" onClick={showHelp} aria-keyshortcuts="?">
            Shortcuts <kbd aria-hidden="true">?</kbd>
          </button>
        </div>
        <InboxFilterBar />
        {error ? <ErrorAlert error={error} onDismiss={clearError} title="The conversations could not be loaded." /> : null}
      </header>
      <div className={conversationId === null ? 'inbox-body' : 'inbox-body inbox-body-open'}>
        <section className="inbox-list" aria-label="Conversations">
          <BulkBar />
          <ConversationList selectedId={conversationId} />
        </section>
        <div className="inbox-detail">
          {conversationId === null ? (
            <div className="inbox-placeholder">
              <p>Choose a conversation to read it.</p>
            </div>
          ) : (
            <ConversationPane />
          )}
        </div>
      </div>
      {helpOpen ? <ShortcutsDialog onClose={() => setHelpOpen(false)} /> : null}
      <DeleteConversationsDialog />
    </div>
  );
}
