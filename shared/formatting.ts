/**
 * Simple formatting typed as text: **bold**, *italic*, [label](https://…) links and lines starting
 * with "- " or "* " as bullet lists. The reply goes out as the text exactly as typed (readable as it
 * is) plus, when the agent used any of these, an HTML alternative built here.
 *
 * The HTML is safe by construction: every character of the text is escaped first, and the only
 * tags are the few made here; links are http(s) and mailto only.
 */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

const BULLET = /^\s*[-*]\s+(?=\S)/;
const MARKUP = /\*\*\S|(?:^|[^*\w])\*[^\s*]|\[[^\]\n]+\]\((?:https?:\/\/|mailto:)|^\s*[-*]\s+\S/m;
// A [label](url) link, or a bare web address (without trailing punctuation), so links stay clickable in the HTML.
const LINK = /\[([^\]\n]+)\]\(((?:https?:\/\/|mailto:)[^\s()<>]+)\)|(https?:\/\/[^\s<>"]*[^\s<>".,;:!?)\]'])/g;

/** Bold and italic on text that is already escaped. A lone "*" (as in 5 * 3) stays as it is. */
function emphasis(escaped: string): string {
  return escaped.replace(/\*\*(?=\S)(.+?)(?<=\S)\*\*/g, '<strong>$1</strong>').replace(/(^|[^*\w])\*(?=[^\s*])([^*\n]*?[^\s*])\*(?![*\w])/g, '$1<em>$2</em>');
}

function inline(line: string): string {
  let out = '';
  let last = 0;
  for (const match of line.matchAll(LINK)) {
    const url = match[2] ?? match[3]!;
    const label = match[1] ?? match[3]!;
    out += emphasis(escapeHtml(line.slice(last, match.index)));
    out += `<a href="${escapeHtml(url)}">${emphasis(escapeHtml(label))}</a>`;
    last = match.index + match[0].length;
  }
  return out + emphasis(escapeHtml(line.slice(last)));
}

/** The HTML alternative of a reply's text, or null when the text uses no formatting (it goes out as plain text only). */
export function replyHtml(text: string): string | null {
  if (!MARKUP.test(text)) return null;
  const parts: string[] = [];
  let list: string[] = [];
  const closeList = () => {
    if (list.length > 0) parts.push(`<ul>${list.map((item) => `<li>${item}</li>`).join('')}</ul>`);
    list = [];
  };
  for (const line of text.split(/\r?\n/)) {
    if (BULLET.test(line)) {
      list.push(inline(line.replace(BULLET, '')));
      continue;
    }
    closeList();
    parts.push(`${inline(line)}<br>`);
  }
  closeList();
  return `<div dir="auto">${parts.join('\n')}</div>`;
}
