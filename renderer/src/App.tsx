import { ChannelsPage } from './features/channels/ChannelsPage';
import { routeHref, useRoute, type Route } from './lib/router';

/** `soon`: not built yet; listed so the sidebar shows where the app is going, but not a link. */
type NavItem = { kind: 'link'; route: Route; label: string } | { kind: 'soon'; label: string };

const NAV: readonly NavItem[] = [
  { kind: 'soon', label: 'Inbox' },
  { kind: 'link', route: 'channels', label: 'Channels' },
];

export function App() {
  const route = useRoute();
  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <aside className="sidebar">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true">
            A
          </span>
          <span className="brand-name">Auxilium</span>
        </div>
        <nav aria-label="Main" className="nav">
          <ul role="list">
            {NAV.map((item) =>
              item.kind === 'soon' ? (
                <li key={item.label}>
                  <span className="nav-item nav-item-soon" aria-disabled="true">
                    {item.label}
                    <span className="nav-soon">Soon</span>
                  </span>
                </li>
              ) : (
                <li key={item.route}>
                  <a
                    className="nav-item"
                    href={routeHref(item.route)}
                    aria-current={route === item.route ? 'page' : undefined}
                  >
                    {item.label}
                  </a>
                </li>
              ),
            )}
          </ul>
        </nav>
      </aside>
      <main id="main" className="content" tabIndex={-1}>
        {route === 'channels' ? <ChannelsPage /> : null}
      </main>
    </div>
  );
}
