import { useState } from 'react';
import type { Delivery, Message } from '../../../../shared/conversation';
import type { AppError } from '../../../../shared/errors';
import { ErrorAlert } from '../../components/ErrorAlert';
import { ServerReply } from '../../components/ServerReply';
import { useChannelsStore } from '../channels/store';
import { agentAdvice, fixIsForAdmin } from './agent-advice';
import { useComposerStore } from './composer-store';
import { useConversationStore } from './conversation-store';
import { fullTime } from './format';

const clockFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });

/** A time of day for delivery lines ("next attempt at 10:31:05"); the full date when not today. */
export function deliveryTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toDateString() === new Date().toDateString() ? clockFormat.format(date) : fullTime(iso);
}

/**
 * Where an agent's reply is on its way out: Queued (and when it tries again), Sending, Sent (and
 * when), or Failed with what the server said, the likely cause and the fix, and Retry / Edit.
 * State is said in words, not only by colour.
 */
export function DeliveryState({ message }: { message: Message }) {
  const delivery = message.delivery;
  const [busy, setBusy] = useState<'retry' | 'edit' | null>(null);
  const [error, setError] = useState<{ title: string; error: AppError } | null>(null);
  const channelId = useConversationStore((s) => s.detail?.conversation.channelId);
  const channel = useChannelsStore((s) => s.channels.find((c) => c.id === channelId));
  if (!delivery) return null;

  async function run(kind: 'retry' | 'edit') {
    setBusy(kind);
    setError(null);
    const store = useComposerStore.getState();
    const failed = kind === 'retry' ? await store.retry(message.id) : await store.edit(message);
    setBusy(null);
    if (failed) setError({ title: kind === 'retry' ? 'The reply could not be retried.' : 'The reply could not be taken back for editing.', error: failed });
  }

  if (delivery.state === 'failed') {
    const e = delivery.error;
    return (
      <div className="delivery delivery-failed">
        <p className="delivery-line">
          <span className="delivery-badge delivery-badge-failed">Failed</span>
          <span className="delivery-message">{e?.message ?? 'The reply was not sent.'}</span>
        </p>
        {e ? (
          <dl className="delivery-facts">
            <div className="delivery-advice">
              <dt>What you can do:</dt>
              <dd>{agentAdvice(e, channel?.name ?? 'this channel')}</dd>
            </div>
            {fixIsForAdmin(e) ? null : (
              <>
                <div>
                  <dt>Likely cause:</dt>
                  <dd>{e.cause}</dd>
                </div>
                <div>
                  <dt>How to fix:</dt>
                  <dd>{e.fix}</dd>
                </div>
              </>
            )}
          </dl>
        ) : null}
        <ServerReply detail={e?.detail} />
        {error ? <ErrorAlert error={error.error} title={error.title} onDismiss={() => setError(null)} /> : null}
        <div className="delivery-actions">
          <button type="button" className="btn btn-secondary btn-small" onClick={() => void run('retry')} aria-disabled={busy !== null || undefined}>
            {busy === 'retry' ? 'Retrying…' : 'Retry'}
          </button>
          <button type="button" className="btn btn-ghost btn-small" onClick={() => void run('edit')} aria-disabled={busy !== null || undefined}>
            Edit
          </button>
        </div>
      </div>
    );
  }

  let badge: string;
  let detail: string | null = null;
  switch (delivery.state) {
    case 'queued':
      badge = 'Queued';
      if (channel && !channel.enabled) {
        badge = 'Held';
        detail = `The channel ${channel.name} is disabled: this reply goes out once an admin enables it under Channels.`;
      } else if (delivery.attempts > 0 && delivery.nextAttemptAt) {
        detail = `Next attempt at ${deliveryTime(delivery.nextAttemptAt)}`;
        if (delivery.error) detail += ` — last try: ${delivery.error.message}`;
      } else {
        detail = 'Waiting to be sent';
      }
      break;
    case 'sending':
      badge = 'Sending';
      detail = delivery.attempts > 1 ? `Attempt ${delivery.attempts}` : null;
      break;
    case 'sent':
      badge = 'Sent';
      detail = deliveryTime(message.date);
      break;
  }
  const line = (
    <p className={`delivery delivery-line delivery-${delivery.state}`}>
      <span className={`delivery-badge delivery-badge-${delivery.state}`}>{badge}</span>
      {detail ? <span className="delivery-detail">{detail}</span> : null}
    </p>
  );
  if (delivery.refused.length === 0 && !delivery.filing) return line;
  return (
    <div className="delivery-refused">
      {line}
      {delivery.refused.length > 0 ? <RefusedRecipients refused={delivery.refused} /> : null}
      {delivery.filing ? <FilingProblem filing={delivery.filing} /> : null}
    </div>
  );
}

/** Sent, but its copy is not in the Sent folder: where, why in the server's words, and whether it is tried again. */
function FilingProblem({ filing }: { filing: NonNullable<Delivery['filing']> }) {
  const { folder, error, retrying } = filing;
  return (
    <section className="delivery delivery-failed" aria-label="Copy in the Sent folder">
      <p className="delivery-line">
        <span className="delivery-badge delivery-badge-failed">Not filed</span>
        <span className="delivery-message">
          The customer got this reply, but its copy is not in “{folder}”: {error.message}. {retrying ? 'Tried again by itself.' : 'No longer tried again.'}
        </span>
      </p>
      <dl className="delivery-facts">
        <div>
          <dt>Likely cause:</dt>
          <dd>{error.cause}</dd>
        </div>
        <div>
          <dt>How to fix:</dt>
          <dd>{error.fix}</dd>
        </div>
      </dl>
      <ServerReply detail={error.detail} />
    </section>
  );
}

/**
 * Recipients the server refused while it took the reply for the others: they did not get it (yet:
 * a deferred address is sent to again by itself, and leaves the list once it takes the reply).
 */
function RefusedRecipients({ refused }: { refused: Delivery['refused'] }) {
  return (
    <section className="delivery delivery-failed" aria-label="Recipients who did not get this reply">
      <p className="delivery-line">
        <span className="delivery-badge delivery-badge-failed">Not delivered</span>
        <span className="delivery-message">
          {refused.length === 1 ? '1 recipient did not get this reply.' : `${refused.length} recipients did not get this reply.`}
        </span>
      </p>
      <ul className="delivery-refused-list">
        {refused.map(({ address, error }) => (
          <li key={address}>
            <strong>{address}</strong>: {error.message}. {error.retryable ? 'Tried again by itself. ' : ''}
            {error.fix}
            <ServerReply detail={error.detail} />
          </li>
        ))}
      </ul>
    </section>
  );
}
