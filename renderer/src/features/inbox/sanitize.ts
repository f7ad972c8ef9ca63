import DOMPurify from 'dompurify';
import { quotedHistory } from './quoted-html';

/**
 * Untrusted HTML mail, made safe to show: DOMPurify strips scripts, event handlers and forms, and
 * the result goes into an `<iframe sandbox="">` (no scripts, opaque origin) whose own CSP blocks
 * every remote load unless the user asked for this message's remote content.
 */

const BLOCKED_TAGS = [
  'script',
  'form',
  'input',
  'button',
  'select',
  'option',
  'textarea',
  'iframe',
  'frame',
  'frameset',
  'object',
  'embed',
  'applet',
  'base',
  'meta',
  'link',
  'portal',
];
const BLOCKED_ATTRS = ['action', 'formaction', 'ping', 'srcdoc'];

const purifier = DOMPurify(window);
const RESOURCE_ATTRS = ['src', 'background', 'poster'];
// Relative URLs mean nothing in a mail, and inside the frame they would point at the app itself.
const ABSOLUTE_RESOURCE = /^\s*(?:https?:|data:|cid:)/i;
const ABSOLUTE_LINK = /^\s*(?:https?:|mailto:)/i;

purifier.addHook('afterSanitizeAttributes', (node) => {
  for (const name of RESOURCE_ATTRS) {
    const value = node.getAttribute(name);
    if (value !== null && !ABSOLUTE_RESOURCE.test(value)) node.removeAttribute(name);
  }
  node.removeAttribute('srcset');
  const href = node.getAttribute('href');
  if (href !== null && !ABSOLUTE_LINK.test(href)) node.removeAttribute('href');
  if (node.nodeName === 'A' && node.hasAttribute('href')) {
    // Inside the frame a click would otherwise try to navigate the frame itself.
    node.setAttribute('target', '_blank');
    node.setAttribute('rel', 'noopener noreferrer');
  }
});

/**
 * HTML the app made itself from an agent's typed text (shared/formatting.ts, escaped by
 * construction), cleaned once more and with links opening outside the app, for showing in place.
 */
export function ownHtmlFragment(html: string): string {
  return purifier.sanitize(html, { FORBID_TAGS: BLOCKED_TAGS, FORBID_ATTR: BLOCKED_ATTRS, ALLOW_DATA_ATTR: false });
}

export function mailCsp(allowRemote: boolean): string {
  const images = allowRemote ? 'https: http: data: cid:' : 'data: cid:';
  return `default-src 'none'; img-src ${images}; style-src 'unsafe-inline'; font-src data:; form-action 'none'; base-uri 'none'`;
}

/** Remote images, backgrounds or stylesheets: worth offering "Load remote content" for. */
export function hasRemoteContent(html: string): boolean {
  return /(?:src|background|srcset|poster)\s*=\s*["']?\s*(?:https?:)?\/\/|url\(\s*["']?\s*(?:https?:)?\/\//i.test(html);
}

/**
 * Renames event-handler attributes inside tags before any parsing. DOMPurify removes them anyway;
 * this only keeps Chromium from logging a CSP violation for each one while the HTML is parsed in
 * the app's document (handlers never run in a parsed-but-inert document).
 */
function defangHandlers(html: string): string {
  return html.replace(/<[^<>]*>/g, (tag) => tag.replace(/([\s"'/])on([a-z]+\s*=)/gi, '$1data-blocked-on$2'));
}

const FRAME_STYLE =
  "html{color-scheme:light}body{margin:12px;font:14px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;color:#1c1f26;overflow-wrap:anywhere}img{max-width:100%;height:auto}pre{white-space:pre-wrap}";

/**
 * A first guess at the content's height from its text and blocks, used until the laid-out copy has
 * been measured (see useMailFrameHeight in MessageBody.tsx).
 */
function estimateHeight(body: HTMLElement): number {
  const text = body.textContent?.replace(/\s+/g, ' ').trim().length ?? 0;
  const blocks = body.querySelectorAll('p, div, br, tr, li, h1, h2, h3, h4, h5, h6, blockquote, pre').length;
  const images = body.querySelectorAll('img').length;
  const guess = 32 + (text / 85) * 21 + blocks * 10 + images * 120;
  return Math.round(Math.min(640, Math.max(120, guess)));
}

export interface MailFrame {
  srcdoc: string;
  height: number;
  /** The mail ends in quoted history (folded away unless asked for). */
  quoted: boolean;
}

/** `cid:` URLs name a part by its Content-ID, percent-encoded (RFC 2392). */
function contentIdOf(url: string): string {
  const id = url.trim().slice('cid:'.length);
  try {
    return decodeURIComponent(id);
  } catch {
    return id;
  }
}

/**
 * A complete document for `srcdoc`: the CSP meta comes first so it governs everything after it.
 * `inlineImages` (Content-ID → data: URL) fills in the message's own pictures named by `cid:`.
 * Quoted history at the end is left out unless `showQuoted` (no script runs in the frame to fold
 * it there, so the document is built again when the reader asks for it).
 */
export function mailSrcdoc(html: string, allowRemote: boolean, inlineImages: ReadonlyMap<string, string> = new Map(), showQuoted = false): MailFrame {
  const clean = purifier.sanitize(defangHandlers(html), {
    WHOLE_DOCUMENT: true,
    FORBID_TAGS: BLOCKED_TAGS,
    FORBID_ATTR: BLOCKED_ATTRS,
    ALLOW_DATA_ATTR: false,
  });
  const doc = new DOMParser().parseFromString(clean, 'text/html');
  for (const name of ['src', 'background']) {
    for (const element of doc.querySelectorAll(`[${name}^="cid:" i]`)) {
      const picture = inlineImages.get(contentIdOf(element.getAttribute(name) ?? ''));
      if (picture) element.setAttribute(name, picture);
    }
  }
  const quoted = quotedHistory(doc);
  if (!showQuoted) for (const node of quoted) node.parentNode?.removeChild(node);
  const head = doc.head;
  const csp = doc.createElement('meta');
  csp.setAttribute('http-equiv', 'Content-Security-Policy');
  csp.setAttribute('content', mailCsp(allowRemote));
  const charset = doc.createElement('meta');
  charset.setAttribute('charset', 'utf-8');
  const style = doc.createElement('style');
  style.textContent = FRAME_STYLE;
  head.prepend(csp, charset, style);
  return { srcdoc: `<!doctype html>${doc.documentElement.outerHTML}`, height: estimateHeight(doc.body), quoted: quoted.length > 0 };
}
