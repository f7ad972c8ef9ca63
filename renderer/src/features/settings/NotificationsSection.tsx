import { useState } from 'react';
import { notificationPermission, requestNotificationPermission } from '../inbox/notify';

const TEXT: Record<NotificationPermission | 'unsupported', string> = {
  granted: 'On: a desktop notification appears when a new conversation arrives.',
  default: 'Off. Turn them on to hear about new conversations while you work in other windows.',
  denied: 'Blocked for this app. Allow notifications in your system or browser settings to turn them on.',
  unsupported: 'This window cannot show desktop notifications.',
};

export function NotificationsSection() {
  const [permission, setPermission] = useState(notificationPermission);

  return (
    <section className="panel" aria-labelledby="notifications-title">
      <div className="panel-header">
        <div>
          <h2 id="notifications-title" className="panel-title">
            Notifications
          </h2>
          <p className="muted" role="status">
            {TEXT[permission]}
          </p>
        </div>
        {permission === 'default' ? (
          <button type="button" className="btn btn-secondary" onClick={() => void requestNotificationPermission().then(setPermission)}>
            Enable notifications
          </button>
        ) : null}
      </div>
    </section>
  );
}
