import { describe, expect, it } from 'vitest';
import { dnsRecordFixes, domainOf, failedSenderChecks } from './sender-authentication';

describe("refusals fixed in the From domain's DNS", () => {
  it('names the checks a refusal is about, by word or by its enhanced status code', () => {
    expect(failedSenderChecks('550 5.7.23 The message was rejected because of Sender Policy Framework violation')).toEqual(['spf']);
    expect(failedSenderChecks('550 5.7.20 No passing DKIM signature found')).toEqual(['dkim']);
    // DMARC passes through an aligned SPF or DKIM: both are named with it.
    expect(failedSenderChecks('550 5.7.1 Email rejected per DMARC policy for example.com')).toEqual(['spf', 'dkim', 'dmarc']);
    expect(failedSenderChecks('550-5.7.26 This mail has been blocked because the sender is unauthenticated.')).toEqual(['spf', 'dkim', 'dmarc']);
  });

  it('leaves refusals that are not about sender authentication alone', () => {
    expect(failedSenderChecks('554 5.7.1 <x@elsewhere.example>: Relay access denied')).toEqual([]);
    expect(failedSenderChecks('550 5.7.1 Message rejected by content policy')).toEqual([]);
    expect(failedSenderChecks('530 5.7.57 Client not authenticated to send mail.')).toEqual([]);
  });

  it('fills the domain and the SMTP server into each record', () => {
    expect(domainOf('Support@Acme.Example')).toBe('acme.example');
    const [spf, dkim, dmarc] = dnsRecordFixes(['spf', 'dkim', 'dmarc'], 'acme.example', 'mail.acme.example');
    expect(spf).toMatchObject({ name: 'acme.example', type: 'TXT', value: 'v=spf1 a:mail.acme.example ~all' });
    expect(dkim).toMatchObject({ name: '<selector>._domainkey.acme.example', value: null });
    expect(dmarc).toMatchObject({ name: '_dmarc.acme.example', value: 'v=DMARC1; p=none; rua=mailto:postmaster@acme.example' });
    // The big providers publish the addresses they send from: include theirs.
    expect(dnsRecordFixes(['spf'], 'acme.example', 'smtp.gmail.com')[0]!.value).toBe('v=spf1 include:_spf.google.com ~all');
    expect(dnsRecordFixes(['spf'], 'acme.example', 'smtp.office365.com')[0]!.value).toBe('v=spf1 include:spf.protection.outlook.com ~all');
    // A server named by its address is allowed by that address.
    expect(dnsRecordFixes(['spf'], 'acme.example', '192.0.2.25')[0]!.value).toBe('v=spf1 ip4:192.0.2.25 ~all');
  });
});
