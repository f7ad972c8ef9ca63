import { useEffect, useState, type ReactNode } from 'react';
import type { Message } from '../../../../shared/conversation';
import { useComposerStore } from './composer-store';
import { deliveryTime } from './DeliveryState';

const SENT_VISIBLE_MS = 8_000;

/**
 * "Sending in 5 s — Undo" while a reply can still be taken back; after that, where the reply is
 * (queued, sending, sent, failed). One live region that is always there, so a screen reader hears
 * each change without the countdown being read every second.
 */
export function SendStatusBar({ conversationId, messages }: { conversationId: number; messages: readonly Message[] }) {
  const pending = useComposerStore((s) => s.pending);
  const tracked = useComposerStore((s) => s.tracked);
  const undoing = useComposerStore((s) => s.undoing);
  const [now, setNow] = useState(() => Date.now());

  useEffect(() => {
    if (!pending) return;
    const tick = () => {
      const t = Date.now();
      setNow(t);
      if (t >= pending.until) useComposerStore.getState().windowEnded();
    };
    tick();
    const timer = setInterval(tick, 250);
    return () => clearInterval(timer);
  }, [pending]);

  const trackedMessage = tracked && tracked.conversationId === conversationId ? (messages.find((m) => m.id === tracked.messageId) ?? null) : null;
  const trackedState = trackedMessage?.delivery?.state ?? null;

  useEffect(() => {
    if (trackedState !== 'sent') return;
    const timer = setTimeout(() => useComposerStore.getState().stopTracking(), SENT_VISIBLE_MS);
    return () => clearTimeout(timer);
  }, [trackedState]);

  let content: ReactNode = null;
  let tone = 'info';
  if (pending && pending.conversationId === conversationId) {
    const seconds = Math.max(1, Math.ceil((pending.until - now) / 1000));
    content = (
      <>
        <span className="send-status-text">
          <span aria-hidden="true">Sending in {seconds} s</span>
          <span className="sr-only">Sending in a few seconds.</span>
        </span>
        <button
          type="button"
          className="btn btn-secondary btn-small"
          onClick={() => void useComposerStore.getState().undo()}
          aria-disabled={undoing || undefined}
        >
          Undo
        </button>
      </>
    );
  } else if (trackedMessage?.delivery) {
    const d = trackedMessage.delivery;
    tone = d.state === 'failed' ? 'bad' : d.state === 'sent' ? 'ok' : 'info';
    const text =
      d.state === 'queued'
        ? d.attempts > 0 && d.nextAttemptAt
          ? `Queued — next attempt at ${deliveryTime(d.nextAttemptAt)}`
          : 'Queued — sending shortly'
        : d.state === 'sending'
          ? 'Sending…'
          : d.state === 'sent'
            ? `Sent at ${deliveryTime(trackedMessage.date)}`
            : `Not sent: ${(d.error?.message ?? 'the server refused it').replace(/\.$/, '')}. See the reply above for what to do.`;
    content = <span className="send-status-text">{text}</span>;
  }

  return (
    <div role="status" className={content ? `send-status send-status-${tone}` : 'send-status'}>
      {content}
    </div>
  );
}
