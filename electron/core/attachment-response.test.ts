import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/support/temp';
import { attachmentHeaders, contentDisposition, isInside, openAttachment, parseAttachmentId, safeFilename } from './attachment-response';

/** The filename* value decoded the way a browser does (RFC 5987: UTF-8, percent-encoded). */
function extendedName(disposition: string): string {
  const match = /filename\*=UTF-8''([^;\s]*)$/.exec(disposition);
  expect(match).not.toBeNull();
  return decodeURIComponent(match![1]!);
}

function quotedName(disposition: string): string {
  return /filename="([^"]*)"/.exec(disposition)![1]!;
}

/** RFC 6266 grammar for what we send: only token/attr-char/quoted characters, no spare quotes. */
function expectWellFormed(disposition: string): void {
  expect(disposition).toMatch(/^attachment; filename="[\x20\x21\x23-\x5b\x5d-\x7e]*"; filename\*=UTF-8''[A-Za-z0-9!#$&+\-.^_`|~%]*$/);
}

describe('contentDisposition', () => {
  it('keeps plain names as they are', () => {
    const value = contentDisposition('invoice-2026.pdf');
    expect(value).toBe(`attachment; filename="invoice-2026.pdf"; filename*=UTF-8''invoice-2026.pdf`);
  });

  it('encodes unicode names as UTF-8 (RFC 5987) with an ASCII fallback', () => {
    for (const name of ['Rechnung März.pdf', '報告書.docx', 'naïve café 😀.txt', 'Ελληνικά.png']) {
      const value = contentDisposition(name);
      expectWellFormed(value);
      expect(extendedName(value)).toBe(name);
      expect(quotedName(value)).toMatch(/^[\x20-\x7e]+$/);
    }
    expect(contentDisposition('Rechnung März.pdf')).toContain("filename*=UTF-8''Rechnung%20M%C3%A4rz.pdf");
  });

  it('percent-encodes characters that are not attr-char (quotes, parentheses, asterisks, percent)', () => {
    const value = contentDisposition(`it's (final) 100%*.txt`);
    expectWellFormed(value);
    expect(value).toContain("filename*=UTF-8''it%27s%20%28final%29%20100%25_.txt");
    expect(extendedName(value)).toBe(`it's (final) 100%_.txt`);
  });

  it('never lets quotes or backslashes break out of the quoted fallback', () => {
    for (const name of ['a"; filename="evil.html', 'x\\"y.txt', '"quoted".txt']) {
      const value = contentDisposition(name);
      expectWellFormed(value);
      expect(value.split('"').length - 1).toBe(2);
      // Outside the one quoted string there are exactly the two parameters we put there.
      expect(value.replace(/"[^"]*"/, '""')).toMatch(/^attachment; filename=""; filename\*=UTF-8''[^;"\s]*$/);
    }
  });

  it('strips CR, LF, NUL and other controls so a name cannot add headers', () => {
    for (const name of ['report.pdf\r\nSet-Cookie: a=b', 'a\nb.txt', 'nul\u0000.txt', 'tab\t.txt', 'del\u007f.txt', 'c1\u0085.txt']) {
      const value = contentDisposition(name);
      expectWellFormed(value);
      expect(value).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
      expect(extendedName(value)).not.toMatch(/[\r\n\u0000\u0085]/);
    }
    expect(extendedName(contentDisposition('report.pdf\r\nSet-Cookie: a=b'))).toBe('report.pdfSet-Cookie_ a=b');
  });

  it('drops bidi overrides and invisible characters that disguise an extension', () => {
    expect(safeFilename('invoice\u202Efdp.exe')).toBe('invoicefdp.exe');
    expect(safeFilename('zero\u200Bwidth.txt')).toBe('zerowidth.txt');
  });

  it('keeps only the last path segment: no folders, no ../', () => {
    expect(safeFilename('../../etc/passwd')).toBe('passwd');
    expect(safeFilename('..\\..\\Windows\\system32\\evil.dll')).toBe('evil.dll');
    expect(safeFilename('/absolute/path/file.txt')).toBe('file.txt');
    expect(safeFilename('C:\\Users\\me\\notes.txt')).toBe('notes.txt');
    expect(safeFilename('..')).toBe('attachment');
    expect(safeFilename('folder/')).toBe('attachment');
    expect(extendedName(contentDisposition('../../.bashrc'))).toBe('bashrc');
    for (const name of ['../x', 'a/b', 'a\\b']) expect(extendedName(contentDisposition(name))).not.toMatch(/[/\\]/);
  });

  it('never offers an empty, hidden or Windows-reserved-character name', () => {
    expect(safeFilename('')).toBe('attachment');
    expect(safeFilename('   ')).toBe('attachment');
    expect(safeFilename('\r\n')).toBe('attachment');
    expect(safeFilename('.htaccess')).toBe('htaccess');
    expect(safeFilename('name. ')).toBe('name');
    expect(safeFilename('a<b>c:d|e?f*.txt')).toBe('a_b_c_d_e_f_.txt');
  });

  it('shortens very long names but keeps the extension', () => {
    const name = safeFilename(`${'x'.repeat(500)}.pdf`);
    expect(name.length).toBe(200);
    expect(name.endsWith('.pdf')).toBe(true);
  });
});

describe('attachmentHeaders', () => {
  it('always downloads as octet-stream with nosniff, whatever the file', () => {
    const headers = attachmentHeaders('page.html', 42);
    expect(headers['Content-Type']).toBe('application/octet-stream');
    expect(headers['X-Content-Type-Options']).toBe('nosniff');
    expect(headers['Content-Disposition']).toMatch(/^attachment; /);
    expect(headers['Content-Length']).toBe('42');
    expect(headers['Content-Security-Policy']).toContain('sandbox');
    for (const value of Object.values(headers)) expect(value).not.toMatch(/[\r\n]/);
  });
});

describe('parseAttachmentId', () => {
  it('accepts positive whole numbers only', () => {
    expect(parseAttachmentId('1')).toBe(1);
    expect(parseAttachmentId('12345')).toBe(12345);
    for (const bad of ['', '0', '-1', '1.5', '01', '1e3', '0x10', '../1', '1/', '%31', ' 1', '9'.repeat(16)]) {
      expect(parseAttachmentId(bad)).toBeUndefined();
    }
  });
});

describe('isInside', () => {
  it('is true only for paths below the folder', () => {
    expect(isInside('/data/attachments', '/data/attachments/a.pdf')).toBe(true);
    expect(isInside('/data/attachments', '/data/attachments/sub/a.pdf')).toBe(true);
    expect(isInside('/data/attachments', '/data/attachments/../secret.txt')).toBe(false);
    expect(isInside('/data/attachments', '/data/attachments-other/a.pdf')).toBe(false);
    expect(isInside('/data/attachments', '/data/attachments')).toBe(false);
    expect(isInside('/data/attachments', '/etc/passwd')).toBe(false);
    expect(isInside('/data/attachments', '/data/attachments/..pdf')).toBe(true);
  });
});

describe('openAttachment', () => {
  it('opens regular files with their size on disk, and nothing else', async () => {
    const dir = tempDir();
    try {
      writeFileSync(join(dir.path, 'a.bin'), 'hello');
      mkdirSync(join(dir.path, 'folder'));
      const opened = await openAttachment({ path: join(dir.path, 'a.bin'), filename: 'a.bin', contentType: 'text/html', size: 999 });
      expect(opened?.size).toBe(5);
      expect(opened?.headers['Content-Length']).toBe('5');
      opened?.stream.destroy();
      expect(await openAttachment({ path: join(dir.path, 'missing'), filename: 'x', contentType: 'x', size: 1 })).toBeUndefined();
      expect(await openAttachment({ path: join(dir.path, 'folder'), filename: 'x', contentType: 'x', size: 1 })).toBeUndefined();
    } finally {
      dir.remove();
    }
  });
});
