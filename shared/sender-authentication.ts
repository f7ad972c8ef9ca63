/**
 * Replies refused because the receiving server could not verify that the channel's From domain
 * allows this mail: SPF, DKIM or DMARC. Only whoever runs the domain's DNS can fix that, so the
 * channel card tells the admin which record to add or fix, for that domain, in so many words.
 */

export const SENDER_CHECKS = ['spf', 'dkim', 'dmarc'] as const;
export type SenderCheck = (typeof SENDER_CHECKS)[number];

/**
 * The checks a server's refusal names, from its words or its enhanced status code (RFC 7372:
 * 5.7.20–5.7.22 DKIM, 5.7.23 SPF, 5.7.26 several checks / DMARC). All three when it says only that
 * the sender is unauthenticated; none when it is not about sender authentication at all.
 */
export function failedSenderChecks(serverReply: string): SenderCheck[] {
  const found = new Set<SenderCheck>();
  if (/\bSPF\b|sender policy framework|\b5\.7\.23\b/i.test(serverReply)) found.add('spf');
  if (/\bDKIM\b|domainkey|\b5\.7\.2[0-2]\b/i.test(serverReply)) found.add('dkim');
  if (/\bDMARC\b/i.test(serverReply)) found.add('dmarc');
  // Not "client was not authenticated" (Exchange, 5.7.57): that is a missing SMTP login, not DNS.
  if (found.size === 0 && /\b5\.7\.26\b|\bunauthenticated (?:e-?mail|mail|message)\b|\bsender is unauthenticated\b/i.test(serverReply)) {
    for (const check of SENDER_CHECKS) found.add(check);
  }
  // DMARC passes when an aligned SPF or DKIM passes: a DMARC refusal is fixed through those two.
  if (found.has('dmarc')) {
    found.add('spf');
    found.add('dkim');
  }
  return SENDER_CHECKS.filter((check) => found.has(check));
}

/** The domain of an address ("support@acme.example" → "acme.example"), lower case. */
export function domainOf(address: string): string {
  return address
    .slice(address.lastIndexOf('@') + 1)
    .trim()
    .toLowerCase();
}

export interface DnsRecordFix {
  check: SenderCheck;
  /** The DNS record to add or correct: its name, type and (where it is known) its value. */
  name: string;
  type: 'TXT';
  value: string | null;
  /** What to do, in a sentence. */
  how: string;
}

/** The SPF mechanism that lets the channel's SMTP server send for a domain: big providers publish their own. */
function spfMechanism(smtpHost: string): string {
  const host = smtpHost.toLowerCase();
  if (/(?:^|\.)(?:gmail|googlemail|google)\.com$/.test(host)) return 'include:_spf.google.com';
  if (/(?:^|\.)(?:office365|outlook)\.com$/.test(host)) return 'include:spf.protection.outlook.com';
  if (/^\d{1,3}(?:\.\d{1,3}){3}$/.test(host)) return `ip4:${host}`;
  if (host.includes(':')) return `ip6:${host.replace(/^\[|\]$/g, '')}`;
  return `a:${host}`;
}

/** The DNS records that make `domain`'s mail pass the failed checks when sent through `smtpHost`. */
export function dnsRecordFixes(checks: readonly SenderCheck[], domain: string, smtpHost: string): DnsRecordFix[] {
  return checks.map((check): DnsRecordFix => {
    switch (check) {
      case 'spf': {
        const mechanism = spfMechanism(smtpHost);
        return {
          check,
          name: domain,
          type: 'TXT',
          value: `v=spf1 ${mechanism} ~all`,
          how: `Publish an SPF record for ${domain} that allows ${smtpHost} to send its mail. If ${domain} already has one (a TXT record starting with v=spf1), add ${mechanism} to it instead: a domain may have only one.`,
        };
      }
      case 'dkim':
        return {
          check,
          name: `<selector>._domainkey.${domain}`,
          type: 'TXT',
          value: null,
          how: `Turn on DKIM signing for ${domain} where ${smtpHost} is run, and publish the public key it gives you under the selector it names.`,
        };
      case 'dmarc':
        return {
          check,
          name: `_dmarc.${domain}`,
          type: 'TXT',
          value: `v=DMARC1; p=none; rua=mailto:postmaster@${domain}`,
          how: `DMARC passes when SPF or DKIM passes for ${domain} itself, so fix those first. If ${domain} has no DMARC record, publish this one; if it has one, keep it.`,
        };
    }
  });
}
