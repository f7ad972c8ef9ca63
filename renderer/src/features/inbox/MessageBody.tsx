import { useEffect, useId, useMemo, useRef, useState, type RefObject } from 'react';
import type { AppError } from '../../../../shared/errors';
import { ErrorAlert } from '../../components/ErrorAlert';
import { invoke } from '../../lib/api';
import { splitQuoted } from './format';
import { hasRemoteContent, mailSrcdoc, ownHtmlFragment, type MailFrame } from './sanitize';

const NO_IMAGES: ReadonlyMap<string, string> = new Map();

/**
 * The message's own pictures its HTML names by `cid:` (Content-ID → data: URL); undefined while they
 * are being fetched. The frame gets its document only then: setting it twice in quick succession
 * (first with cid: links, then with the pictures) has left Chromium showing the picture broken.
 */
function useInlineImages(messageId: number, html: string): ReadonlyMap<string, string> | undefined {
  const wanted = /cid:/i.test(html);
  const [images, setImages] = useState<ReadonlyMap<string, string> | undefined>(wanted ? undefined : NO_IMAGES);
  useEffect(() => {
    setImages(wanted ? undefined : NO_IMAGES);
    if (!wanted) return;
    let alive = true;
    void invoke('messages:get-inline-images', { id: messageId }).then((result) => {
      if (alive) setImages(result.ok ? new Map(result.value.map((image) => [image.contentId, image.dataUrl])) : NO_IMAGES);
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
 * The height of the mail frame's content, so the frame shows all of it and the thread is the one
 * thing that scrolls. The frame runs no script and has an opaque origin, so it cannot tell and the
 * app cannot look: the same document is laid out once more, at the frame's width, in a hidden frame
 * the app may read. That copy is just as inert (sandboxed without scripts, the same CSP, nothing to
 * click or focus) and is removed once measured. Measured again when the document or width changes.
 */
function useMailFrameHeight(frameRef: RefObject<HTMLIFrameElement | null>, frame: MailFrame): number {
  const [measured, setMeasured] = useState<{ srcdoc: string; height: number } | null>(null);
  const [width, setWidth] = useState(0);

  useEffect(() => {
    const shown = frameRef.current;
    if (!shown) return;
    const observer = new ResizeObserver(() => setWidth(shown.clientWidth));
    observer.observe(shown);
    return () => observer.disconnect();
  }, [frameRef]);

  useEffect(() => {
    const shown = frameRef.current;
    if (!shown || width === 0) return;
    const copy = document.createElement('iframe');
    copy.setAttribute('sandbox', 'allow-same-origin');
    copy.setAttribute('aria-hidden', 'true');
    copy.tabIndex = -1;
    copy.inert = true;
    copy.style.cssText = `position:fixed;left:-100000px;top:0;width:${width}px;height:1px;border:0;visibility:hidden;pointer-events:none`;
    copy.addEventListener('load', () => {
      const root = copy.contentDocument?.documentElement;
      if (!root) return;
      // A table wider than the frame adds a horizontal scrollbar, which takes room from the height.
      const scrollbar = root.scrollWidth > root.clientWidth ? 20 : 0;
      const border = shown.offsetHeight - shown.clientHeight;
      setMeasured({ srcdoc: frame.srcdoc, height: root.scrollHeight + scrollbar + border });
      copy.remove();
    });
    copy.srcdoc = frame.srcdoc;
    document.body.append(copy);
    return () => copy.remove();
  }, [frameRef, frame.srcdoc, width]);

  return measured?.srcdoc === frame.srcdoc ? measured.height : frame.height;
}

/**
 * Sanitised HTML in a sandboxed frame: no scripts, no same-origin access, no forms, no top
 * navigation. Links may open a new window only — which the desktop shell turns into the OS browser
 * and the web host into a new tab — so a click never navigates the app. Remote images load only
 * after the user asks, for this message alone. Quoted history at the end is folded behind a toggle
 * outside the frame, as in plain-text mail.
 */
export function HtmlBody({ html, title, messageId }: { html: string; title: string; messageId: number }) {
  const [allowRemote, setAllowRemote] = useState(false);
  const [showQuoted, setShowQuoted] = useState(false);
  const inlineImages = useInlineImages(messageId, html);
  const remote = useMemo(() => hasRemoteContent(html), [html]);
  const frame = useMemo(() => mailSrcdoc(html, allowRemote, inlineImages ?? NO_IMAGES, showQuoted), [html, allowRemote, inlineImages, showQuoted]);
  const frameRef = useRef<HTMLIFrameElement>(null);
  const height = useMailFrameHeight(frameRef, frame);
  const frameId = useId();
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
        ref={frameRef}
        id={frameId}
        className="message-frame"
        sandbox="allow-popups allow-popups-to-escape-sandbox"
        srcDoc={inlineImages === undefined ? undefined : frame.srcdoc}
        title={title}
        referrerPolicy="no-referrer"
        style={{ height }}
      />
      {frame.quoted ? (
        <div>
          <button type="button" className="quote-toggle" aria-expanded={showQuoted} aria-controls={frameId} onClick={() => setShowQuoted(!showQuoted)}>
            {showQuoted ? 'Hide quoted text' : 'Show quoted text'}
          </button>
        </div>
      ) : null}
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
