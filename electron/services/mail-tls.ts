import net from 'node:net';
import tls from 'node:tls';
import type { TrustedCertificate } from '../../shared/channel';

/**
 * TLS options for IMAP and SMTP alike, so both follow one rule:
 * certificates are always verified. A certificate the admin chose to trust is added to the public
 * roots (not instead of them, so a server that later moves to a public CA keeps working), and
 * that exact certificate — matched by fingerprint — is accepted for any host name: self-hosted
 * certificates are often issued for a name other than the one the admin connects with.
 */
export function mailTlsOptions(host: string, trusted: TrustedCertificate | null): tls.ConnectionOptions {
  const options: tls.ConnectionOptions = { rejectUnauthorized: true, minVersion: 'TLSv1.2' };
  // SNI only carries names; for an IP literal Node checks the certificate against the IP.
  if (!net.isIP(host)) options.servername = host;
  if (trusted) {
    const pinned = normalizeFingerprint(trusted.fingerprint256);
    options.ca = [...tls.rootCertificates, trusted.pem];
    options.checkServerIdentity = (hostname, cert) =>
      normalizeFingerprint(cert.fingerprint256) === pinned ? undefined : tls.checkServerIdentity(hostname, cert);
  }
  return options;
}

function normalizeFingerprint(fp: string | undefined): string {
  return (fp ?? '').replace(/[^0-9a-f]/gi, '').toUpperCase();
}
