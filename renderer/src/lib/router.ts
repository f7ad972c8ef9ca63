import { useSyncExternalStore } from 'react';

/**
 * A tiny hash router: `#/channels`, later `#/inbox`. Hash routes need nothing from the host (the
 * Electron window loads a file, the web host serves one page) and survive a reload.
 */

export type Route = 'channels';

/** Add a page here (and in App) when it exists; unknown hashes fall back to the default page. */
export const ROUTES: readonly Route[] = ['channels'];
export const DEFAULT_ROUTE: Route = 'channels';

export function parseRoute(hash: string): Route {
  const name = hash.replace(/^#\/?/, '').split(/[/?]/)[0] ?? '';
  return (ROUTES as readonly string[]).includes(name) ? (name as Route) : DEFAULT_ROUTE;
}

export function routeHref(route: Route): string {
  return `#/${route}`;
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener('hashchange', onChange);
  return () => window.removeEventListener('hashchange', onChange);
}

export function useRoute(): Route {
  return useSyncExternalStore(subscribe, () => parseRoute(window.location.hash));
}
