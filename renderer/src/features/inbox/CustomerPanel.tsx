import { useEffect, useId, useState, useSyncExternalStore } from 'react';
import { create } from 'zustand';
import type { ConversationSummary } from '../../../../shared/conversation';
import type { AppError } from '../../../../shared/errors';
import { ErrorAlert } from '../../components/ErrorAlert';
import { invoke, onEvent } from '../../lib/api';
import { conversationHref } from '../../lib/router';
import { AddressText } from './AddressText';
import { displayName, fullTime, shortTime, shown, STATUS_LABEL } from './format';

/** Wide enough for the panel to stand beside the thread (keep in step with styles.css); narrower, it folds below it. */
const WIDE = '(min-width: 1500px)';

/** How many of the customer's other conversations the panel lists; the rest are counted. */
const SHOWN = 20;

/** The agent's choice to show or hide the panel holds from one conversation to the next. */
const usePanelOpen = create<{ open: boolean | null; setOpen(open: boolean): void }>()((set) => ({
  open: null,
  setOpen: (open) => set({ open }),
}));

const wideQuery = window.matchMedia(WIDE);

/** Whether the window is wide enough for the panel beside the thread, kept up to date as it is resized. */
function useWide(): boolean {
  return useSyncExternalStore(
    (onChange) => {
      wideQuery.addEventListener('change', onChange);
      return () => wideQuery.removeEventListener('change', onChange);
    },
    () => wideQuery.matches,
  );
}

type Others = { status: 'loading' } | { status: 'done'; items: ConversationSummary[]; total: number } | { status: 'failed'; error: AppError };

/** The customer's other conversations, fetched again when any conversation changes (a status, a new one). */
function useOtherConversations(address: string, conversationId: number): Others {
  const [others, setOthers] = useState<Others>({ status: 'loading' });
  useEffect(() => {
    // Mail without a sender address (rare, but it happens) has no customer to look up.
    if (address.trim() === '') {
      setOthers({ status: 'done', items: [], total: 0 });
      return;
    }
    let alive = true;
    setOthers({ status: 'loading' });
    const load = () =>
      void invoke('conversations:list-by-customer', { address, excludeId: conversationId, limit: SHOWN }).then((result) => {
        if (!alive) return;
        setOthers(result.ok ? { status: 'done', ...result.value } : { status: 'failed', error: result.error });
      });
    load();
    const off = onEvent('conversations:changed', load);
    return () => {
      alive = false;
      off();
    };
  }, [address, conversationId]);
  return others;
}

function countText(others: Others): string {
  if (others.status !== 'done') return '';
  if (others.total === 0) return 'no other conversations';
  return others.total === 1 ? '1 other conversation' : `${others.total} other conversations`;
}

/**
 * Who the customer is and what else they wrote about, newest first, each a link that opens it: the
 * side panel of Help Scout or Front. Beside the thread in a wide window, folded below it otherwise.
 */
export function CustomerPanel({ conversation }: { conversation: ConversationSummary }) {
  const { customer } = conversation;
  const others = useOtherConversations(customer.address, conversation.id);
  const chosen = usePanelOpen((s) => s.open);
  const setOpen = usePanelOpen((s) => s.setOpen);
  // Until the agent chooses, the panel is open where it has room of its own and folded where it would take the thread's.
  const wide = useWide();
  const open = chosen ?? wide;
  const headingId = useId();
  const bodyId = useId();
  const name = displayName(customer);

  return (
    <aside className={open ? 'customer-panel customer-panel-open' : 'customer-panel'} aria-labelledby={headingId}>
      <h3 id={headingId} className="customer-panel-heading">
        <button type="button" className="customer-panel-toggle" aria-expanded={open} aria-controls={bodyId} onClick={() => setOpen(!open)}>
          <span aria-hidden="true" className="customer-panel-chevron">
            {open ? '▾' : '▸'}
          </span>
          Customer <span className="customer-panel-count">{countText(others)}</span>
        </button>
      </h3>
      <div id={bodyId} className="customer-panel-body" hidden={!open}>
        <p className="customer-name">{name}</p>
        <p className="muted customer-address">
          <AddressText address={{ name: '', address: customer.address }} />
        </p>
        <h4 className="customer-panel-subheading">Other conversations</h4>
        {others.status === 'loading' ? <p className="muted">Loading…</p> : null}
        {others.status === 'failed' ? <ErrorAlert error={others.error} title="Their other conversations could not be loaded." /> : null}
        {others.status === 'done' && others.items.length === 0 ? <p className="muted">None: this is their only conversation.</p> : null}
        {others.status === 'done' && others.items.length > 0 ? (
          <ol role="list" className="customer-conversations" aria-label={`Other conversations of ${name}`}>
            {others.items.map((c) => (
              <li key={c.id}>
                <a className="customer-conversation" href={conversationHref(c.id)}>
                  <span className="customer-conversation-subject">{shown(c.subject) || '(no subject)'}</span>
                  <span className="customer-conversation-meta">
                    <span className={`conv-status conv-status-${c.status}`}>{STATUS_LABEL[c.status]}</span>
                    <time dateTime={c.lastMessageAt} title={fullTime(c.lastMessageAt)}>
                      {shortTime(c.lastMessageAt)}
                    </time>
                  </span>
                </a>
              </li>
            ))}
          </ol>
        ) : null}
        {others.status === 'done' && others.total > others.items.length ? (
          <p className="muted">
            and {others.total - others.items.length} older (search for {shown(customer.address)} to see them all)
          </p>
        ) : null}
      </div>
    </aside>
  );
}
