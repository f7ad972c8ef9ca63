import { useEffect, useState } from 'react';
import type { Channel } from '../../../../shared/channel';
import { ErrorAlert } from '../../components/ErrorAlert';
import { ChannelCard } from './ChannelCard';
import { ChannelDialog } from './ChannelDialog';
import { DeleteChannelDialog } from './DeleteChannelDialog';
import { useChannelsStore } from './store';

type Dialog = { kind: 'create' } | { kind: 'edit'; channel: Channel } | { kind: 'delete'; channel: Channel } | null;

export function ChannelsPage() {
  const channels = useChannelsStore((s) => s.channels);
  const loading = useChannelsStore((s) => s.loading);
  const error = useChannelsStore((s) => s.error);
  const keychain = useChannelsStore((s) => s.keychain);
  const clearError = useChannelsStore((s) => s.clearError);
  const [dialog, setDialog] = useState<Dialog>(null);

  useEffect(() => {
    const { load, subscribe } = useChannelsStore.getState();
    const unsubscribe = subscribe();
    void load();
    return unsubscribe;
  }, []);

  // Keep the edited channel current if the list moves under an open Edit dialog.
  const editing = dialog?.kind === 'edit' ? (channels.find((c) => c.id === dialog.channel.id) ?? dialog.channel) : null;

  return (
    <div className="page">
      <header className="page-header">
        <div>
          <h1 className="page-title">Channels</h1>
          <p className="page-lede">The mailboxes your team answers from. Auxilium reads new mail over IMAP and sends replies over SMTP.</p>
        </div>
        <button type="button" className="btn btn-primary" onClick={() => setDialog({ kind: 'create' })}>
          <span aria-hidden="true" className="btn-icon">
            +
          </span>
          Add Channel
        </button>
      </header>

      {keychain && !keychain.available ? (
        <div className="callout callout-warn" role="status">
          <div className="callout-body">
            <p className="callout-title">No keychain available</p>
            <p>{keychain.message ?? 'Auxilium cannot reach the system keychain, so it cannot store mail passwords.'}</p>
            <p className="callout-hint">Creating a channel will fail until a keychain (Secret Service) is running.</p>
          </div>
        </div>
      ) : null}

      {error ? <ErrorAlert error={error} onDismiss={clearError} /> : null}

      {loading ? (
        <p className="muted" role="status">
          Loading channels…
        </p>
      ) : channels.length === 0 ? (
        <section className="empty-state" aria-labelledby="channels-empty-title">
          <div className="empty-icon" aria-hidden="true">
            @
          </div>
          <h2 id="channels-empty-title">Connect your first mailbox</h2>
          <p>
            Add an Email channel with your support mailbox’s IMAP and SMTP settings. Test the connection before you save — nothing is changed on the server.
          </p>
          <button type="button" className="btn btn-primary" onClick={() => setDialog({ kind: 'create' })}>
            Add your first channel
          </button>
        </section>
      ) : (
        <ul className="card-grid" role="list" aria-label="Channels">
          {channels.map((channel) => (
            <li key={channel.id}>
              <ChannelCard
                channel={channel}
                onEdit={(c) => setDialog({ kind: 'edit', channel: c })}
                onDelete={(c) => setDialog({ kind: 'delete', channel: c })}
              />
            </li>
          ))}
        </ul>
      )}

      {dialog?.kind === 'create' ? <ChannelDialog mode={{ kind: 'create' }} onClose={() => setDialog(null)} /> : null}
      {editing ? <ChannelDialog key={editing.id} mode={{ kind: 'edit', channel: editing }} onClose={() => setDialog(null)} /> : null}
      {dialog?.kind === 'delete' ? <DeleteChannelDialog channel={dialog.channel} onClose={() => setDialog(null)} /> : null}
    </div>
  );
}
