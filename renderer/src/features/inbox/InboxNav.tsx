import { useEffect } from 'react';
import type { InboxView } from '../../../../shared/conversation';
import { inboxViewHref, routeHref } from '../../lib/router';
import { useInboxStore } from './store';

export const VIEW_LABEL: Record<InboxView, string> = {
  mine: 'Mine',
  unassigned: 'Unassigned',
  all: 'All',
  failed: 'Failed replies',
  spam: 'Spam',
  deleted: 'Deleted',
};
const QUEUES = ['mine', 'unassigned', 'all'] as const;
const BINS = ['spam', 'deleted'] as const;

/**
 * The sidebar's Inbox entry and its views. The counts are open conversations (the work still to
 * do) and, beside them, how many of the open and pending ones are unread; "Failed replies" appears
 * while a reply the server refused waits for someone; Spam and Deleted hold what was taken out of
 * the queues. All kept live by `conversations:changed`.
 */
export function InboxNav({ active }: { active: boolean }) {
  const counts = useInboxStore((s) => s.counts);
  const view = useInboxStore((s) => s.filters.view);

  useEffect(() => {
    const { subscribe, loadCounts } = useInboxStore.getState();
    const unsubscribe = subscribe();
    void loadCounts();
    return unsubscribe;
  }, []);

  const failed = counts?.failed ?? 0;
  return (
    <>
      <a className="nav-item" href={routeHref('inbox')} aria-current={active ? 'page' : undefined}>
        Inbox
        {counts && counts.unassigned > 0 ? (
          <span className="nav-count nav-count-strong" title="Open and unassigned">
            {counts.unassigned}
            <span className="sr-only"> open and unassigned</span>
          </span>
        ) : null}
      </a>
      <ul role="list" className="nav-sub" aria-label="Inbox views">
        {QUEUES.map((v) => (
          <li key={v}>
            <a className="nav-item nav-sub-item" href={inboxViewHref(v)} aria-current={active && view === v ? 'true' : undefined}>
              {VIEW_LABEL[v]}
              {counts && counts.unread[v] > 0 ? (
                <span className="nav-unread" title="Unread (open and pending)">
                  {counts.unread[v]}
                  <span className="sr-only"> unread</span>
                </span>
              ) : null}
              {counts ? (
                <span className="nav-count" title="Open conversations">
                  {counts[v]}
                  <span className="sr-only"> open</span>
                </span>
              ) : null}
            </a>
          </li>
        ))}
        {failed > 0 || view === 'failed' ? (
          <li>
            <a className="nav-item nav-sub-item nav-failed" href={inboxViewHref('failed')} aria-current={active && view === 'failed' ? 'true' : undefined}>
              {VIEW_LABEL.failed}
              <span className={failed > 0 ? 'nav-count nav-count-bad' : 'nav-count'} title="Conversations with a reply that was not sent">
                {failed}
                <span className="sr-only"> with a reply not sent</span>
              </span>
            </a>
          </li>
        ) : null}
        {BINS.map((v) => (
          <li key={v}>
            <a className="nav-item nav-sub-item" href={inboxViewHref(v)} aria-current={active && view === v ? 'true' : undefined}>
              {VIEW_LABEL[v]}
              {counts && counts[v] > 0 ? (
                <span className="nav-count" title={`Conversations in ${VIEW_LABEL[v]}`}>
                  {counts[v]}
                  <span className="sr-only"> conversations</span>
                </span>
              ) : null}
            </a>
          </li>
        ))}
      </ul>
    </>
  );
}
