// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { quotedHistory } from './quoted-html';

/**
 * Replies as the common mail programs write them (the markup trimmed of styling, its structure
 * kept): what stays shown once the quoted history is folded away, and what is folded.
 */

function fold(html: string): { shown: string; hidden: string } {
  const doc = new DOMParser().parseFromString(html, 'text/html');
  const quoted = quotedHistory(doc);
  const hidden = quoted.map((node) => node.textContent ?? '').join(' ');
  for (const node of quoted) node.parentNode?.removeChild(node);
  const squash = (text: string) => text.replace(/\s+/g, ' ').trim();
  return { shown: squash(doc.body.textContent ?? ''), hidden: squash(hidden) };
}

const GMAIL = `<div dir="ltr">Thanks, the new parcel arrived today.<div><br></div><div>Carol</div></div><br>
<div class="gmail_quote gmail_quote_container"><div dir="ltr" class="gmail_attr">On Tue, Dec 1, 2026 at 10:00 AM Acme Support &lt;<a href="mailto:support@acme.test">support@acme.test</a>&gt; wrote:<br></div>
<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);padding-left:1ex">
<div dir="ltr">We sent a new parcel.</div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Mon, Nov 30, 2026 Carol wrote:<br></div>
<blockquote class="gmail_quote"><div dir="ltr">Where is my order?</div></blockquote></div></blockquote></div>`;

const OUTLOOK_WEB = `<html><head><style type="text/css" style="display:none;"> P {margin-top:0;margin-bottom:0;} </style></head>
<body dir="ltr"><div class="elementToProof" style="font-family: Aptos, Aptos_EmbeddedFont, Calibri, Helvetica, sans-serif; font-size: 12pt;">
Please send the invoice again.</div>
<div id="appendonsend"></div>
<hr style="display:inline-block;width:98%" tabindex="-1">
<div id="divRplyFwdMsg" dir="ltr"><font face="Calibri, sans-serif" style="font-size:11pt" color="#000000"><b>From:</b> Acme Support &lt;support@acme.test&gt;<br>
<b>Sent:</b> Tuesday, December 1, 2026 10:00<br><b>To:</b> Carol &lt;carol@example.com&gt;<br><b>Subject:</b> Re: Invoice</font>
<div>&nbsp;</div></div>
<div class="x_elementToProof">Here is your invoice.</div>
</body></html>`;

const OUTLOOK_WINDOWS = `<html><body lang="EN-GB" link="#0563C1" vlink="#954F72"><div class="WordSection1">
<p class="MsoNormal">Yes, that is the right address.<o:p></o:p></p><p class="MsoNormal"><o:p>&nbsp;</o:p></p>
<div><div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">
<p class="MsoNormal"><b>From:</b> Acme Support &lt;support@acme.test&gt; <br><b>Sent:</b> Tuesday, 1 December 2026 10:00<br>
<b>To:</b> Carol &lt;carol@example.com&gt;<br><b>Subject:</b> Delivery address<o:p></o:p></p></div></div>
<p class="MsoNormal"><o:p>&nbsp;</o:p></p><p class="MsoNormal">Could you confirm your delivery address?<o:p></o:p></p>
</div></body></html>`;

const APPLE_MAIL = `<html><head><meta http-equiv="content-type" content="text/html; charset=utf-8"></head>
<body style="overflow-wrap: break-word; -webkit-nbsp-mode: space; line-break: after-white-space;">Perfect, thank you!<br id="lineBreakAtBeginningOfMessage"><div><br>
<blockquote type="cite"><div>On 1 Dec 2026, at 10:00, Acme Support &lt;support@acme.test&gt; wrote:</div><br class="Apple-interchange-newline">
<div><div>Your refund is on its way.</div></div></blockquote></div><br></body></html>`;

const THUNDERBIRD = `<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset=UTF-8"></head><body>
<p>I still cannot log in.</p>
<div class="moz-cite-prefix">On 01/12/2026 10:00, Acme Support wrote:<br></div>
<blockquote type="cite" cite="mid:reply-1@acme.test"><p>Please try resetting your password.</p></blockquote>
<br></body></html>`;

describe('quoted history in HTML mail', () => {
  it("folds Gmail's gmail_quote with its attribution, nested quotes and all", () => {
    expect(fold(GMAIL)).toEqual({
      shown: 'Thanks, the new parcel arrived today.Carol',
      hidden: expect.stringMatching(/^On Tue, Dec 1, 2026 .* wrote: .*We sent a new parcel\..*Where is my order\?$/),
    });
  });

  it("folds Outlook on the web's reply header and everything after it, with the rule above it", () => {
    const { shown, hidden } = fold(OUTLOOK_WEB);
    expect(shown).toBe('Please send the invoice again.');
    expect(hidden).toContain('From: Acme Support');
    expect(hidden).toContain('Here is your invoice.');
  });

  it("folds Outlook for Windows' bordered From/Sent block and the quoted mail below it", () => {
    const { shown, hidden } = fold(OUTLOOK_WINDOWS);
    expect(shown).toBe('Yes, that is the right address.');
    expect(hidden).toMatch(/^From: Acme Support .* Sent: Tuesday/);
    expect(hidden).toContain('Could you confirm your delivery address?');
  });

  it("folds Apple Mail's blockquote type=cite", () => {
    const { shown, hidden } = fold(APPLE_MAIL);
    expect(shown).toBe('Perfect, thank you!');
    expect(hidden).toMatch(/^On 1 Dec 2026, at 10:00, Acme Support .* wrote: Your refund is on its way\.$/);
  });

  it("folds Thunderbird's quote together with its moz-cite-prefix attribution", () => {
    expect(fold(THUNDERBIRD)).toEqual({
      shown: 'I still cannot log in.',
      hidden: 'On 01/12/2026 10:00, Acme Support wrote: Please try resetting your password.',
    });
  });

  it('leaves an answer written below or between quoted parts as it is', () => {
    const inline = `<div class="moz-cite-prefix">On 01/12/2026 10:00, Acme Support wrote:<br></div>
      <blockquote type="cite">Which model do you have?</blockquote><p>The X200.</p>
      <blockquote type="cite">And since when?</blockquote><p>Since Monday.</p>`;
    expect(fold(inline).hidden).toBe('');
    expect(fold(inline).shown).toContain('The X200.');
  });

  it('folds only the quote at the end when an answer sits between earlier quotes', () => {
    const mixed = `<blockquote type="cite">Which model?</blockquote><p>The X200.</p>
      <div class="moz-cite-prefix">On 01/12/2026 10:00, Acme Support wrote:<br></div><blockquote type="cite">Thanks, we will check.</blockquote>`;
    expect(fold(mixed)).toEqual({ shown: 'Which model?The X200.', hidden: 'On 01/12/2026 10:00, Acme Support wrote: Thanks, we will check.' });
  });

  it('shows a message that is nothing but a quote (a forward without words of its own) whole', () => {
    const forward = `<div class="gmail_quote"><div class="gmail_attr">---------- Forwarded message ---------</div><div>The original text.</div></div>`;
    expect(fold(forward)).toEqual({ shown: '---------- Forwarded message ---------The original text.', hidden: '' });
  });

  it('does not take a plain blockquote (a passage the sender cites) or an ordinary bordered box for history', () => {
    const poem = `<p>As the poet said:</p><blockquote>Shall I compare thee to a summer's day?</blockquote>`;
    const box = `<p>Your order:</p><div style="border-top:1px solid #ccc">From: Berlin. Sent: yesterday by courier.</div><p>Thanks</p>`;
    expect(fold(poem).hidden).toBe('');
    expect(fold(box).shown).toContain('Thanks');
  });
});
