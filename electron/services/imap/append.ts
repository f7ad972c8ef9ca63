import type { ImapFlow } from 'imapflow';

/**
 * Every IMAP APPEND of the app goes through appendMessage(). A message appended over IMAP must have
 * CRLF line ends (RFC 5322, RFC 3501 §6.3.11). Dovecot accepts bare LF, Cyrus refuses the whole
 * message ("NO Message contains bare newlines"). The MIME nodemailer builds has bare LF in its
 * bodies; nodemailer only fixes that on the SMTP wire, so the CRLF form is also what recipients got.
 */
export async function appendMessage(client: ImapFlow, folder: string, raw: Buffer, flags: string[] = []): Promise<void> {
  await client.append(folder, withCrlf(raw), flags);
}

const CR = 0x0d;
const LF = 0x0a;

/** The message with every line ending as CRLF: a bare LF or a bare CR becomes CRLF, CRLF stays. */
export function withCrlf(raw: Buffer): Buffer {
  let bare = 0;
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === LF && raw[i - 1] !== CR) bare++;
    else if (raw[i] === CR && raw[i + 1] !== LF) bare++;
  }
  if (bare === 0) return raw;
  const out = Buffer.allocUnsafe(raw.length + bare);
  let o = 0;
  for (let i = 0; i < raw.length; i++) {
    const byte = raw[i]!;
    if (byte === LF && raw[i - 1] !== CR) out[o++] = CR;
    out[o++] = byte;
    if (byte === CR && raw[i + 1] !== LF) out[o++] = LF;
  }
  return out;
}
