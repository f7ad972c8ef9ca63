import { useVirtualizer } from '@tanstack/react-virtual';
import { useCallback, useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
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
 *
 * The list is ONE Tab stop (a roving tabindex): Tab enters it at the open or last focused row and
 * the next Tab leaves it; arrow keys, Home and End move inside; Space or x selects the focused row.
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
  const selected = useInboxStore((s) => s.selected);
  const scrollRef = useRef<HTMLDivElement>(null);
  const [focusId, setFocusId] = useState<number | null>(null);
  const onToggle = useCallback((id: number, range: boolean) => {
    const store = useInboxStore.getState();
    if (range) store.selectRange(id);
    else store.toggleSelected(id);
  }, []);

  const agentNames = useMemo(() => {
    const names = new Map<number, string>();
    for (const agent of agents) names.set(agent.id, agent.id === meAgentId ? `${agent.name} (Me)` : agent.name);
    return names;
  }, [agents, meAgentId]);
  const showChannel = channels.length > 1;
  const channelsById = useMemo(() => new Map(channels.map((c) => [c.id, c])), [channels]);

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

  function focusIndex(index: number) {
    const id = items[index]?.id;
    if (id === undefined) return;
    setFocusId(id);
    virtualizer.scrollToIndex(index);
    const find = () => scrollRef.current?.querySelector<HTMLElement>(`a[data-id="${id}"]`);
    // A rendered row takes focus at once, so the next key acts on it; others once scrolled in.
    const rendered = find();
    if (rendered) rendered.focus();
    else requestAnimationFrame(() => find()?.focus());
  }

  // The open conversation (chosen by j/k, by closing the one before, or by a click) is scrolled to;
  // the focus follows it when the agent was in the list, so the next key acts from there.
  useEffect(() => {
    if (selectedId === null) return;
    const index = items.findIndex((c) => c.id === selectedId);
    if (index === -1) return;
    setFocusId(selectedId);
    virtualizer.scrollToIndex(index);
    const active = document.activeElement;
    if (active === document.body || active?.closest('.list-scroll')) {
      requestAnimationFrame(() => scrollRef.current?.querySelector<HTMLElement>(`a[data-id="${selectedId}"]`)?.focus());
    }
    // Only when the open conversation changes, not on every list refresh.
  }, [selectedId]);

  /** Arrow keys, Home and End move between rows, scrolling rows that are not rendered yet into view first. */
  function onKeyDown(event: KeyboardEvent<HTMLDivElement>) {
    const current = (event.target as HTMLElement).closest<HTMLElement>('[data-index]');
    if (!current || event.altKey || event.ctrlKey || event.metaKey) return;
    const index = Number(current.dataset.index);
    const id = items[index]?.id;
    let next: number | null = null;
    if (event.key === 'ArrowDown') next = index + 1;
    else if (event.key === 'ArrowUp') next = index - 1;
    else if (event.key === 'Home') next = 0;
    else if (event.key === 'End') next = items.length - 1;
    else if ((event.key === ' ' || event.key === 'x') && id !== undefined) {
      event.preventDefault();
      onToggle(id, event.shiftKey);
      return;
    }
    if (next === null || next < 0 || next >= items.length) return;
    event.preventDefault();
    focusIndex(next);
  }

  const rendered = new Set(virtualItems.map((row) => items[row.index]?.id));
  const tabStopId = [focusId, selectedId, items[virtualItems[0]?.index ?? 0]?.id].find((id) => id != null && rendered.has(id)) ?? null;

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
    <div
      ref={scrollRef}
      className="list-scroll"
      aria-busy={loading || undefined}
      onKeyDown={onKeyDown}
      onFocus={(event) => {
        const id = Number((event.target as HTMLElement).dataset.id);
        if (id) setFocusId(id);
      }}
    >
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
                  open={conversation.id === selectedId}
                  checked={selected.has(conversation.id)}
                  tabStop={conversation.id === tabStopId}
                  assignee={conversation.assigneeId === null ? null : (agentNames.get(conversation.assigneeId) ?? 'Unknown agent')}
                  channel={showChannel ? (channelsById.get(conversation.channelId)?.name ?? null) : null}
                  channelDisabled={channelsById.get(conversation.channelId)?.enabled === false}
                  onToggle={onToggle}
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
