import { useEffect, useId, useMemo, useRef, useState } from 'react';
import { searchSavedReplies, useSavedRepliesStore } from './saved-replies-store';

/**
 * A search box over the team's saved replies: type to filter, ↑/↓ to choose, Enter inserts the
 * chosen one where the cursor was in the reply, Escape goes back to the reply without inserting.
 */
export function SavedReplyPicker({ onInsert, onClose }: { onInsert(body: string): void; onClose(): void }) {
  const replies = useSavedRepliesStore((s) => s.replies);
  const loaded = useSavedRepliesStore((s) => s.loaded);
  const [query, setQuery] = useState('');
  const [active, setActive] = useState(0);
  const listId = useId();
  const inputRef = useRef<HTMLInputElement>(null);
  const found = useMemo(() => searchSavedReplies(replies, query), [replies, query]);
  const current = found[Math.min(active, found.length - 1)];

  useEffect(() => {
    inputRef.current?.focus();
    return useSavedRepliesStore.getState().subscribe();
  }, []);

  return (
    <div className="saved-picker">
      <label className="sr-only" htmlFor={`${listId}-search`}>
        Search saved replies
      </label>
      <input
        ref={inputRef}
        id={`${listId}-search`}
        className="input"
        role="combobox"
        aria-expanded="true"
        aria-controls={listId}
        aria-activedescendant={current ? `${listId}-${current.id}` : undefined}
        aria-autocomplete="list"
        placeholder="Search saved replies"
        autoComplete="off"
        value={query}
        onChange={(event) => {
          setQuery(event.target.value);
          setActive(0);
        }}
        onKeyDown={(event) => {
          if (event.key === 'ArrowDown') setActive((i) => Math.min(i + 1, found.length - 1));
          else if (event.key === 'ArrowUp') setActive((i) => Math.max(i - 1, 0));
          else if (event.key === 'Enter' && current) onInsert(current.body);
          else if (event.key === 'Escape') onClose();
          else return;
          event.preventDefault();
          // Escape here closes the picker only, not what holds it.
          event.stopPropagation();
        }}
      />
      <ul id={listId} role="listbox" aria-label="Saved replies" className="saved-list">
        {found.map((reply) => (
          <li
            key={reply.id}
            id={`${listId}-${reply.id}`}
            role="option"
            aria-selected={reply === current}
            className={reply === current ? 'saved-item saved-item-active' : 'saved-item'}
            onMouseDown={(event) => {
              event.preventDefault();
              onInsert(reply.body);
            }}
          >
            <span className="saved-name">{reply.name}</span>
            <span className="saved-body muted">{reply.body}</span>
          </li>
        ))}
      </ul>
      {loaded && found.length === 0 ? (
        <p className="muted saved-empty">{replies.length === 0 ? 'No saved replies yet. Add them in Settings.' : 'No saved reply matches.'}</p>
      ) : null}
    </div>
  );
}
