import { describe, expect, it } from 'vitest';
import { replyHtml } from './formatting';

describe('replyHtml', () => {
  it('leaves plain text alone: no HTML part', () => {
    expect(replyHtml('Thanks, it ships today.\n\n-- \nAcme Support\nhttps://acme.example/help')).toBeNull();
    expect(replyHtml('5 * 3 = 15, and a*b stays')).toBeNull();
  });

  it('turns **bold**, *italic*, links and bullet lists into HTML', () => {
    const html = replyHtml(
      'Hello **Carol**, this is *really* it.\n- first [guide](https://acme.example/a?x=1&y=2)\n* second\nMore at https://acme.example/help.',
    );
    expect(html).toBe(
      '<div dir="auto">Hello <strong>Carol</strong>, this is <em>really</em> it.<br>\n' +
        '<ul><li>first <a href="https://acme.example/a?x=1&amp;y=2">guide</a></li><li>second</li></ul>\n' +
        'More at <a href="https://acme.example/help">https://acme.example/help</a>.<br></div>',
    );
  });

  it('escapes everything typed, and links only http(s) and mailto', () => {
    const html = replyHtml('**<script>alert(1)</script>** [x](javascript:alert(1)) [mail](mailto:a@b.example) "quoted" <b>');
    expect(html).toContain('<strong>&lt;script&gt;alert(1)&lt;/script&gt;</strong>');
    expect(html).toContain('[x](javascript:alert(1))');
    expect(html).toContain('<a href="mailto:a@b.example">mail</a>');
    expect(html).toContain('&quot;quoted&quot; &lt;b&gt;');
    expect(html).not.toMatch(/<(?!\/?(?:div|strong|em|a|ul|li|br)\b)/);
  });

  it('keeps an attribute closed whatever the address contains', () => {
    const html = replyHtml('*see* https://acme.example/"onmouseover="x');
    expect(html).not.toContain('"onmouseover');
  });
});
