import { ATTRIBUTION } from './format';

/**
 * Finds the history a sender's mail program quoted below their words in an HTML mail, so the
 * reading pane can fold it away as it does for plain text. Each program marks it its own way:
 * - Gmail: `<div class="gmail_quote">` (attribution and blockquote inside); Yahoo: `div.yahoo_quoted`
 * - Apple Mail and Thunderbird: `<blockquote type="cite">`, Thunderbird with a `div.moz-cite-prefix`
 *   attribution ("On …, Carol wrote:") just before it
 * - Outlook: a header block ("From: … Sent: … To: … Subject: …") after which everything is the
 *   quoted mail: `div#divRplyFwdMsg` (Outlook on the web, new Outlook, often after an `<hr>`),
 *   `div#appendonsend`, or in Outlook for Windows a `<div>` with a top border holding that header.
 */

/** Marks whose element is the whole quote. */
const BLOCK_SELECTOR = 'div.gmail_quote, div.yahoo_quoted, blockquote';
/** Marks where the quote begins and runs to the end of the message. */
const TAIL_SELECTOR = 'div#divRplyFwdMsg, div#appendonsend, div[style]';

function isCiteBlockquote(element: Element): boolean {
  return element.tagName === 'BLOCKQUOTE' && (element.getAttribute('type') ?? '').toLowerCase() === 'cite';
}

/** Outlook for Windows' header block: a top border and "From:", "Sent:" (or "Date:") and "Subject:", in a few languages. */
function isOutlookHeader(element: Element): boolean {
  if (element.id === 'divRplyFwdMsg' || element.id === 'appendonsend') return true;
  if (!/border-top\s*:/i.test(element.getAttribute('style') ?? '')) return false;
  const text = (element.textContent ?? '').replace(/\s+/g, ' ').trim();
  return /^(?:From|Von|De|Da|Van)\s?:.{1,400}?\b(?:Sent|Date|Gesendet|Envoyé|Inviato|Verzonden)\s?:.{1,800}?\b(?:Subject|Betreff|Objet|Oggetto|Onderwerp)\s?:/i.test(
    text,
  );
}

function isMark(element: Element): boolean {
  if (element.matches(TAIL_SELECTOR)) return isOutlookHeader(element);
  return element.tagName === 'BLOCKQUOTE' ? isCiteBlockquote(element) : true;
}

/** The element or text node just before `node`, skipping blank text and line breaks. */
function previousContent(node: Node): Node | null {
  let previous = node.previousSibling;
  while (previous && ((previous.nodeType === TEXT_NODE && !previous.textContent?.trim()) || previous.nodeName === 'BR')) previous = previous.previousSibling;
  return previous;
}

/** The "On …, Carol wrote:" line (or Thunderbird's cite prefix) just above a quote, when there is one. */
function attributionBefore(quote: Element): Node | null {
  const previous = previousContent(quote);
  if (!previous) return null;
  if (isElement(previous) && (previous.classList.contains('moz-cite-prefix') || previous.classList.contains('gmail_attr'))) return previous;
  const text = (previous.textContent ?? '').replace(/\s+/g, ' ').trim();
  return text.length < 400 && ATTRIBUTION.test(text) ? previous : null;
}

/** `node` and everything after it up to the end of `body`, outermost first. */
function tailFrom(node: Node, body: HTMLElement): Node[] {
  const tail: Node[] = [];
  for (let at: Node | null = node; at && at !== body; at = at.parentNode) {
    for (let sibling = at === node ? at : at.nextSibling; sibling; sibling = sibling.nextSibling) tail.push(sibling);
  }
  return tail;
}

const TEXT_NODE = 3;
const ELEMENT_NODE = 1;

function isElement(node: Node): node is Element {
  return node.nodeType === ELEMENT_NODE;
}

/** Whether `node` shows words or pictures of its own, leaving out the nodes in `skip`. */
function showsSomething(node: Node, skip: ReadonlySet<Node>): boolean {
  if (skip.has(node)) return false;
  if (node.nodeType === TEXT_NODE) return (node.textContent ?? '').trim() !== '';
  if (!isElement(node)) return false;
  if (node.tagName === 'IMG') return true;
  return [...node.childNodes].some((child) => showsSomething(child, skip));
}

/**
 * The nodes of `doc` that are quoted history at the end of the message, outermost first; empty when
 * there is none, or when the message is nothing but a quote (a forward with no words of its own
 * shows it rather than nothing). A quote followed by more of the sender's own words (an answer
 * written below or between quoted parts) is not history at the end and stays, as in plain text.
 */
export function quotedHistory(doc: Document): Node[] {
  const body = doc.body;
  const marks = [...body.querySelectorAll(`${BLOCK_SELECTOR}, ${TAIL_SELECTOR}`)].filter(isMark);
  // Only the outermost: a quote inside a quote goes with it.
  const outermost = marks.filter((element) => !marks.some((other) => other !== element && other.contains(element)));
  const quotes = new Set<Node>(outermost);
  for (const mark of outermost) {
    let quoted: Node[];
    if (mark.matches(TAIL_SELECTOR)) {
      quoted = tailFrom(mark, body);
      const rule = previousContent(mark);
      if (rule?.nodeName === 'HR') quoted.unshift(rule);
    } else {
      const after = tailFrom(mark, body).slice(1);
      if (after.some((node) => showsSomething(node, quotes))) continue;
      const attribution = attributionBefore(mark);
      quoted = attribution ? [attribution, ...tailFrom(mark, body)] : tailFrom(mark, body);
    }
    return showsSomething(body, new Set(quoted)) ? quoted : [];
  }
  return [];
}
