import { useSyncExternalStore } from 'react';
import type { InboxView } from '../../../shared/conversation';

/**
 * A tiny hash router: `#/channels`, `#/inbox/all`, `#/inbox/c/42`, `#/settings`. Hash routes need
 * nothing from the host (the Electron window loads a file, the web host serves one page) and survive
 * a reload.
 */

export type Route = 'inbox' | 'channels' | 'settings';

/** Add a page here (and in App) when it exists; unknown hashes fall back to the default page. */
export const ROUTES: readonly Route[] = ['inbox', 'channels', 'settings'];
// Channels stays the landing page: a new install has nothing in its inbox until a mailbox is connected.
export const DEFAULT_ROUTE: Route = 'channels';

const VIEWS: readonly InboxView[] = ['mine', 'unassigned', 'all', 'failed', 'spam', 'deleted'];

/** What the inbox part of the hash says: a view to show and/or a conversation to open. */
export interface InboxLocation {
  view: InboxView | null;
  conversationId: number | null;
}

function segments(hash: string): string[] {
  return hash.replace(/^#\/?/, '').split('?')[0]!.split('/');
}

export function parseRoute(hash: string): Route {
  const name = segments(hash)[0] ?? '';
  return (ROUTES as readonly string[]).includes(name) ? (name as Route) : DEFAULT_ROUTE;
}

export function parseInboxLocation(hash: string): InboxLocation {
  const [page, first, second] = segments(hash);
  if (page !== 'inbox') return { view: null, conversationId: null };
  if (first === 'c' && second && /^\d+$/.test(second)) return { view: null, conversationId: Number(second) };
  return { view: (VIEWS as readonly string[]).includes(first ?? '') ? (first as InboxView) : null, conversationId: null };
}

export function routeHref(route: Route): string {
  return `#/${route}`;
}

export function inboxViewHref(view: InboxView): string {
  return `#/inbox/${view}`;
}

export function conversationHref(id: number): string {
  return `#/inbox/c/${id}`;
}

/** Goes to a route from code (after an action), as a click on its link would. */
export function navigate(href: string): void {
  window.location.hash = href;
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener('hashchange', onChange);
  return () => window.removeEventListener('hashchange', onChange);
}

export function useRoute(): Route {
  return useSyncExternalStore(subscribe, () => parseRoute(window.location.hash));
}

/** The raw hash; components derive what they need from it (strings compare cheaply). */
export function useHash(): string {
  return useSyncExternalStore(subscribe, () => window.location.hash);
}
