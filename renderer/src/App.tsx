import { ChannelsPage } from './features/channels/ChannelsPage';
import { InboxNav } from './features/inbox/InboxNav';
import { InboxPage } from './features/inbox/InboxPage';
import { SettingsPage } from './features/settings/SettingsPage';
import { routeHref, useRoute, type Route } from './lib/router';

type NavItem = { route: Exclude<Route, 'inbox'>; label: string };

const NAV: readonly NavItem[] = [
  { route: 'channels', label: 'Channels' },
  { route: 'settings', label: 'Settings' },
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
            <li>
              <InboxNav active={route === 'inbox'} />
            </li>
            {NAV.map((item) => (
              <li key={item.route}>
                <a className="nav-item" href={routeHref(item.route)} aria-current={route === item.route ? 'page' : undefined}>
                  {item.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
      </aside>
      <main id="main" className={route === 'inbox' ? 'content content-full' : 'content'} tabIndex={-1}>
        {route === 'inbox' ? <InboxPage /> : null}
        {route === 'channels' ? <ChannelsPage /> : null}
        {route === 'settings' ? <SettingsPage /> : null}
      </main>
    </div>
  );
}
