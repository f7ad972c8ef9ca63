import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useMemo, useRef, type KeyboardEvent } from 'react';
import { routeHref } from '../../lib/router';
import { useChannelsStore } from '../channels/store';
import { useSettingsStore } from '../settings/store';
import { ConversationRow, ROW_HEIGHT } from './ConversationRow';
import { useInboxStore } from './store';

/** Ask for the next page this many rows before the end, so scrolling rarely meets the loader. */
const PREFETCH_ROWS = 30;

/**
 * Only the rows in view (plus a few) are in the DOM; rows have one fixed height so the scrollbar
 * is exact without measuring. The next page is fetched as the end comes near.
 */
export function ConversationList({ selectedId }: { selectedId: number | null }) {
  const items = useInboxStore((s) => s.items);
  const total = useInboxStore((s) => s.total);
  const nextCursor = useInboxStore((s) => s.nextCursor);
  const loading = useInboxStore((s) => s.loading);
  const loadingMore = useInboxStore((s) => s.loadingMore);
  const filters = useInboxStore((s) => s.filters);
  const query = filters.query;
  const agents = useSettingsStore((s) => s.agents);
  const meAgentId = useSettingsStore((s) => s.meAgentId);
  const channels = useChannelsStore((s) => s.channels);
  const scrollRef = useRef<HTMLDivElement>(null);

  const agentNames = useMemo(() => {
    const names = new Map<number, string>();
    for (const agent of agents) names.set(agent.id, agent.id === meAgentId ? `${agent.name} (Me)` : agent.name);
    return names;
  }, [agents, meAgentId]);
  const showChannel = channels.length > 1;
  const channelNames = useMemo(() => new Map(channels.map((c) => [c.id, c.name])), [channels]);

  const hasMore = nextCursor !== null;
  const count = items.length + (hasMore ? 1 : 0);
  const virtualizer = useVirtualizer({
    count,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 10,
    getItemKey: (index) => items[index]?.id ?? 'more',
  });
  const virtualItems = virtualizer.getVirtualItems();
  const lastIndex = virtualItems[virtualItems.length - 1]?.index ?? 0;

  useEffect(() => {
    if (hasMore && lastIndex >= items.length - PREFETCH_ROWS) void useInboxStore.getState().loadMore();
  }, [hasMore, lastIndex, items.length]);

  // A new filter starts at the top.
  useEffect(() => {
    scrollRef.current?.scrollTo({ top: 0 });
  }, [filters.view, filters.status, filters.channelId, filters.query]);

  /** Arrow keys move between rows, scrolling rows that are not rendered yet into view first. */
  function onKeyDown(event: KeyboardEvent<HTMLDivElement>) {
    if (event.key !== 'ArrowDown' && event.key !== 'ArrowUp') return;
    const current = (event.target as HTMLElement).closest<HTMLElement>('[data-index]');
    if (!current) return;
    const next = Number(current.dataset.index) + (event.key === 'ArrowDown' ? 1 : -1);
    if (next < 0 || next >= items.length) return;
    event.preventDefault();
    virtualizer.scrollToIndex(next);
    requestAnimationFrame(() => scrollRef.current?.querySelector<HTMLElement>(`[data-index="${next}"] a`)?.focus());
  }

  if (!loading && items.length === 0) {
    const mineUnset = filters.view === 'mine' && meAgentId === null;
    return (
      <div className="list-empty">
        <p className="list-empty-title">{query.trim() ? 'No conversations match your search.' : 'No conversations here.'}</p>
        <p className="muted">
          {query.trim() ? (
            'Try other words, or clear the search and filters.'
          ) : mineUnset ? (
            <>
              Say who you are in <a href={routeHref('settings')}>Settings</a> to see the conversations assigned to you.
            </>
          ) : (
            'New customer mail appears here as soon as it reaches a connected mailbox.'
          )}
        </p>
      </div>
    );
  }

  return (
    <div ref={scrollRef} className="list-scroll" aria-busy={loading || undefined} onKeyDown={onKeyDown}>
      <div role="list" aria-label="Conversations" className="list-inner" style={{ height: virtualizer.getTotalSize() }}>
        {virtualItems.map((row) => {
          const conversation = items[row.index];
          return (
            <div
              key={row.key}
              role="listitem"
              data-index={row.index}
              aria-setsize={total}
              aria-posinset={row.index + 1}
              className="list-row"
              style={{ transform: `translateY(${row.start}px)` }}
            >
              {conversation ? (
                <ConversationRow
                  conversation={conversation}
                  selected={conversation.id === selectedId}
                  assignee={conversation.assigneeId === null ? null : (agentNames.get(conversation.assigneeId) ?? 'Unknown agent')}
                  channel={showChannel ? (channelNames.get(conversation.channelId) ?? null) : null}
                />
              ) : (
                <div className="row-loading muted">{loadingMore ? 'Loading more…' : ''}</div>
              )}
            </div>
          );
        })}
      </div>
    </div>
  );
}
