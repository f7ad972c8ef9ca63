import { useEffect, useId, useMemo, useState } from 'react';
import type { AppError } from '../../../../shared/errors';
import { ErrorAlert } from '../../components/ErrorAlert';
import { invoke } from '../../lib/api';
import { splitQuoted } from './format';
import { hasRemoteContent, mailSrcdoc, ownHtmlFragment } from './sanitize';

const NO_IMAGES: ReadonlyMap<string, string> = new Map();

/** The message's own pictures its HTML names by `cid:` (Content-ID → data: URL); none until they arrive. */
function useInlineImages(messageId: number, html: string): ReadonlyMap<string, string> {
  const [images, setImages] = useState(NO_IMAGES);
  const wanted = /cid:/i.test(html);
  useEffect(() => {
    setImages(NO_IMAGES);
    if (!wanted) return;
    let alive = true;
    void invoke('messages:get-inline-images', { id: messageId }).then((result) => {
      if (alive && result.ok) setImages(new Map(result.value.map((image) => [image.contentId, image.dataUrl])));
    });
    return () => {
      alive = false;
    };
  }, [messageId, wanted]);
  return images;
}

/** An agent's reply with the simple formatting they typed (bold, italic, links, lists), shown in place. */
export function FormattedBody({ html }: { html: string }) {
  const clean = useMemo(() => ownHtmlFragment(html), [html]);
  return <div className="message-text message-formatted" dangerouslySetInnerHTML={{ __html: clean }} />;
}

/**
 * Plain text stays text: no HTML, no clickable links that could run anything. The history a sender
 * quoted below their words is folded away behind a toggle, so a long thread reads as the thread.
 */
export function PlainBody({ text }: { text: string }) {
  const { body, quoted } = useMemo(() => splitQuoted(text), [text]);
  const [showQuoted, setShowQuoted] = useState(false);
  const quotedId = useId();
  return (
    <div className="message-text">
      {body || <span className="muted">(no text)</span>}
      {quoted ? (
        <>
          <div>
            <button type="button" className="quote-toggle" aria-expanded={showQuoted} aria-controls={quotedId} onClick={() => setShowQuoted(!showQuoted)}>
              {showQuoted ? 'Hide quoted text' : 'Show quoted text'}
            </button>
          </div>
          <div id={quotedId} className="message-quoted" hidden={!showQuoted}>
            {quoted}
          </div>
        </>
      ) : null}
    </div>
  );
}

/**
 * Sanitised HTML in a sandboxed frame: no scripts, no same-origin access, no forms, no top
 * navigation. Links may open a new window only — which the desktop shell turns into the OS browser
 * and the web host into a new tab — so a click never navigates the app. Remote images load only
 * after the user asks, for this message alone.
 */
export function HtmlBody({ html, title, messageId }: { html: string; title: string; messageId: number }) {
  const [allowRemote, setAllowRemote] = useState(false);
  const inlineImages = useInlineImages(messageId, html);
  const remote = useMemo(() => hasRemoteContent(html), [html]);
  const frame = useMemo(() => mailSrcdoc(html, allowRemote, inlineImages), [html, allowRemote, inlineImages]);
  return (
    <div className="message-html">
      {remote && !allowRemote ? (
        <div className="remote-bar">
          <span>Remote images and content are blocked to protect your privacy.</span>
          <button type="button" className="btn btn-secondary btn-small" onClick={() => setAllowRemote(true)}>
            Load remote content
          </button>
        </div>
      ) : null}
      <iframe
        className="message-frame"
        sandbox="allow-popups allow-popups-to-escape-sandbox"
        srcDoc={frame.srcdoc}
        title={title}
        referrerPolicy="no-referrer"
        style={{ height: frame.height }}
      />
    </div>
  );
}

type RawState = { status: 'loading' } | { status: 'done'; raw: string; truncated: boolean } | { status: 'failed'; error: AppError };

/** Mail that could not be parsed: shown exactly as received, as text. */
export function RawBody({ messageId, reason }: { messageId: number; reason: string }) {
  const [state, setState] = useState<RawState>({ status: 'loading' });

  useEffect(() => {
    let alive = true;
    setState({ status: 'loading' });
    void invoke('messages:get-raw', { id: messageId }).then((result) => {
      if (!alive) return;
      setState(result.ok ? { status: 'done', ...result.value } : { status: 'failed', error: result.error });
    });
    return () => {
      alive = false;
    };
  }, [messageId]);

  return (
    <div className="message-raw">
      <div className="note note-warn">
        <p>
          <strong>This message could not be read; shown as received.</strong>
        </p>
        <p className="muted">{reason}</p>
      </div>
      {state.status === 'loading' ? <p className="muted">Loading the message…</p> : null}
      {state.status === 'failed' ? <ErrorAlert error={state.error} title="The raw message could not be loaded." /> : null}
      {state.status === 'done' ? (
        <>
          <pre className="raw-text">{state.raw}</pre>
          {state.truncated ? <p className="muted">The message is longer; only its beginning is shown.</p> : null}
        </>
      ) : null}
    </div>
  );
}
