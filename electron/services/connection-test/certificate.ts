import net from 'node:net';
import tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { resolveTlsMode, type Protocol, type TlsModeSetting } from '../../../shared/channel';
import type { CertificateInfo } from '../../../shared/contract';
import { ehloName } from '../smtp/connect';

export interface CertificateTarget {
  host: string;
  port: number;
  tls: boolean;
  tlsMode: TlsModeSetting;
}

/**
 * Reads the certificate a server presents, so an admin whose server failed verification can see
 * what it is and decide to trust it. Verification is off here and ONLY here: nothing but the
 * protocol's STARTTLS preamble is sent (no credentials, no mail), and the connection is closed
 * as soon as the handshake is done.
 */
export async function fetchServerCertificate(protocol: Protocol, target: CertificateTarget, opts: { timeoutMs?: number } = {}): Promise<CertificateInfo> {
  const mode = resolveTlsMode(protocol, target);
  if (mode === 'none') throw new Error('TLS is off for this server: there is no certificate to read');
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const sockets: net.Socket[] = [];
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`No certificate within ${timeoutMs} ms`)), timeoutMs);
  });
  const work = (async () => {
    let plain: net.Socket | undefined;
    if (mode === 'starttls') {
      plain = net.connect({ host: target.host, port: target.port });
      sockets.push(plain);
      await startTls(protocol, plain);
    }
    const secure = tls.connect({
      ...(plain ? { socket: plain } : { host: target.host, port: target.port }),
      ...(net.isIP(target.host) ? {} : { servername: target.host }),
      rejectUnauthorized: false,
    });
    sockets.push(secure);
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', resolve);
      secure.once('error', reject);
    });
    return describeCertificate(secure.getPeerCertificate().raw);
  })();
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
    // TLS socket first: destroying the plain socket under a live TLS socket crashes Node 20
    // (segmentation fault, reproduced here with a STARTTLS upgrade).
    for (const s of sockets.reverse()) {
      s.on('error', () => undefined);
      s.destroy();
    }
    work.catch(() => undefined);
  }
}

export function describeCertificate(raw: Buffer): CertificateInfo {
  const cert = new X509Certificate(raw);
  return {
    pem: cert.toString(),
    fingerprint256: cert.fingerprint256,
    subject: cert.subject.split('\n').join(', '),
    issuer: cert.issuer.split('\n').join(', '),
    validFrom: isoDate(cert.validFrom),
    validTo: isoDate(cert.validTo),
  };
}

function isoDate(openssl: string): string {
  const d = new Date(openssl);
  return Number.isNaN(d.getTime()) ? openssl : d.toISOString();
}

/** The least of each protocol that gets a plaintext connection to its TLS handshake. */
async function startTls(protocol: Protocol, socket: net.Socket): Promise<void> {
  const reader = lineReader(socket);
  if (protocol === 'imap') {
    mustMatch(await reader.until((l) => /^\* /.test(l)), /^\* (OK|PREAUTH)/i);
    socket.write('a STARTTLS\r\n');
    mustMatch(await reader.until((l) => /^a /i.test(l)), /^a OK/i);
  } else {
    const finalLine = (l: string) => /^\d{3}(?: |$)/.test(l);
    mustMatch(await reader.until(finalLine), /^220/);
    socket.write(`EHLO ${ehloName()}\r\n`);
    mustMatch(await reader.until(finalLine), /^250/);
    socket.write('STARTTLS\r\n');
    mustMatch(await reader.until(finalLine), /^220/);
  }
  reader.stop();
}

function mustMatch(line: string, ok: RegExp): void {
  if (!ok.test(line)) throw new Error(`The server refused STARTTLS: ${line}`);
}

/** Waits for whole lines; `until` resolves with the first line the test accepts. */
function lineReader(socket: net.Socket) {
  let buffer = '';
  let waiter: { test: (line: string) => boolean; resolve: (line: string) => void; reject: (err: Error) => void } | undefined;
  let failure: Error | undefined;
  const pump = () => {
    if (!waiter) return;
    if (failure) return waiter.reject(failure);
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl).replace(/\r$/, '');
      buffer = buffer.slice(nl + 1);
      if (waiter.test(line)) {
        const w = waiter;
        waiter = undefined;
        return w.resolve(line);
      }
    }
  };
  const onData = (chunk: Buffer) => {
    buffer += chunk.toString('latin1');
    if (buffer.length > 64 * 1024) failure = new Error('The server sent an overlong reply');
    pump();
  };
  const onEnd = (err?: Error) => {
    failure = err ?? new Error('The server closed the connection before TLS started');
    pump();
  };
  socket.on('data', onData);
  socket.on('error', onEnd);
  socket.on('close', () => onEnd());
  return {
    until: (test: (line: string) => boolean) =>
      new Promise<string>((resolve, reject) => {
        waiter = { test, resolve, reject };
        pump();
      }),
    stop: () => socket.removeListener('data', onData),
  };
}
