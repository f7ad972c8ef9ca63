import { useEffect } from 'react';
import type { InboxView } from '../../../../shared/conversation';
import { inboxViewHref, routeHref } from '../../lib/router';
import { useInboxStore } from './store';

export const VIEW_LABEL: Record<InboxView, string> = { mine: 'Mine', unassigned: 'Unassigned', all: 'All' };
const VIEWS: readonly InboxView[] = ['mine', 'unassigned', 'all'];

/**
 * The sidebar's Inbox entry and its views. The counts are open conversations (the work still to
 * do), kept live by `conversations:changed`.
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
        {VIEWS.map((v) => (
          <li key={v}>
            <a
              className="nav-item nav-sub-item"
              href={inboxViewHref(v)}
              aria-current={active && view === v ? 'true' : undefined}
            >
              {VIEW_LABEL[v]}
              {counts ? (
                <span className="nav-count" title="Open conversations">
                  {counts[v]}
                  <span className="sr-only"> open</span>
                </span>
              ) : null}
            </a>
          </li>
        ))}
      </ul>
    </>
  );
}
