import { useEffect, useState } from 'react';
import { MAX_SEARCH_LENGTH, type StatusFilter } from '../../../../shared/conversation';
import { useChannelsStore } from '../channels/store';
import { STATUS_LABEL } from './format';
import { DEFAULT_STATUS, useInboxStore } from './store';

const STATUS_FILTERS: readonly { value: StatusFilter; label: string }[] = [
  { value: 'active', label: 'Open & pending' },
  { value: 'open', label: STATUS_LABEL.open },
  { value: 'pending', label: STATUS_LABEL.pending },
  { value: 'closed', label: STATUS_LABEL.closed },
];

const SEARCH_DELAY_MS = 150;

/** Search, status and channel; search runs as the user types, once typing pauses. */
export function InboxFilterBar() {
  const filters = useInboxStore((s) => s.filters);
  const setFilters = useInboxStore((s) => s.setFilters);
  const channels = useChannelsStore((s) => s.channels);
  const [query, setQuery] = useState(filters.query);

  useEffect(() => {
    const timer = setTimeout(() => setFilters({ query }), SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [query, setFilters]);

  return (
    <div className="filter-bar" role="search" aria-label="Conversations">
      <div className="field filter-search">
        <label htmlFor="inbox-search" className="sr-only">
          Search
        </label>
        <input
          id="inbox-search"
          className="input"
          type="search"
          placeholder="Search subject, people and messages"
          autoComplete="off"
          spellCheck={false}
          maxLength={MAX_SEARCH_LENGTH}
          value={query}
          onChange={(event) => setQuery(event.target.value)}
          onKeyDown={(event) => {
            if (event.key === 'Escape' && query) {
              event.preventDefault();
              setQuery('');
            }
          }}
        />
      </div>
      {/* Spam and Deleted list everything in them, whatever the status. */}
      {filters.view === 'spam' || filters.view === 'deleted' ? null : (
        <>
          <div className="field field-inline">
            <label htmlFor="inbox-status" className="field-label field-label-muted">
              Status
            </label>
            <select
              id="inbox-status"
              className="select select-small"
              value={filters.status ?? ''}
              onChange={(event) => setFilters({ status: (event.target.value || null) as StatusFilter | null })}
            >
              {STATUS_FILTERS.map((s) => (
                <option key={s.value} value={s.value}>
                  {s.label}
                </option>
              ))}
              <option value="">Any</option>
            </select>
          </div>
          {/* Closed conversations are out of the queue, one click away. */}
          <button
            type="button"
            className="btn btn-ghost btn-small"
            onClick={() => setFilters({ status: filters.status === 'closed' ? DEFAULT_STATUS : 'closed' })}
          >
            {filters.status === 'closed' ? 'Show open & pending' : 'Show closed'}
          </button>
        </>
      )}
      <div className="field field-inline">
        <label htmlFor="inbox-channel" className="field-label field-label-muted">
          Channel
        </label>
        <select
          id="inbox-channel"
          className="select select-small"
          value={filters.channelId ?? ''}
          onChange={(event) => setFilters({ channelId: event.target.value || null })}
        >
          <option value="">All channels</option>
          {channels.map((channel) => (
            <option key={channel.id} value={channel.id}>
              {channel.name}
            </option>
          ))}
        </select>
      </div>
    </div>
  );
}
