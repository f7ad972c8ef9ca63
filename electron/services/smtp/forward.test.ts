import { describe, expect, it } from 'vitest';
import { buildForward, forwardSubject } from './forward';

const original = {
  from: { name: 'Carol', address: 'carol@customer.example' },
  to: [{ name: 'Support', address: 'support@acme.test' }],
  cc: [{ name: '', address: 'dan@customer.example' }],
  subject: 'Re: Broken kettle [#ABCD2345]',
  date: '2026-12-01T09:30:00.000Z',
  text: 'It arrived broken.\n\nCarol\n',
};

describe('forwardSubject', () => {
  it('is "Fwd: " once, without the conversation token', () => {
    expect(forwardSubject('Re: Broken kettle [#ABCD2345]')).toBe('Fwd: Re: Broken kettle');
    expect(forwardSubject('Fwd: FW: Broken kettle')).toBe('Fwd: Broken kettle');
    expect(forwardSubject('Forwarding rules')).toBe('Fwd: Forwarding rules');
  });
});

describe('buildForward', () => {
  it('puts the agent’s text and signatures above the forwarded block, goes to the chosen people only and threads into nothing', () => {
    const h = buildForward({
      original,
      from: { name: 'Acme Support', address: 'support@acme.test' },
      recipients: { to: [{ name: 'Workshop', address: 'workshop@partner.example' }], cc: [], bcc: [{ name: '', address: 'lead@acme.test' }] },
      text: 'Please check.',
      signatures: { agent: 'Grace', channel: 'Acme Support' },
    });
    expect(h.to.map((a) => a.address)).toEqual(['workshop@partner.example']);
    expect(h.bcc.map((a) => a.address)).toEqual(['lead@acme.test']);
    expect(h.inReplyTo).toBeNull();
    expect(h.references).toEqual([]);
    expect(h.subject).toBe('Fwd: Re: Broken kettle');
    expect(h.text).toBe(
      [
        'Please check.',
        '',
        '-- ',
        'Grace',
        '',
        'Acme Support',
        '',
        '---------- Forwarded message ----------',
        'From: Carol <carol@customer.example>',
        'Date: Tue, 01 Dec 2026 09:30:00 GMT',
        'Subject: Re: Broken kettle [#ABCD2345]',
        'To: Support <support@acme.test>',
        'Cc: dan@customer.example',
        '',
        'It arrived broken.',
        '',
        'Carol',
      ].join('\n'),
    );
  });

  it('without text or signatures starts with the forwarded block', () => {
    const h = buildForward({
      original,
      from: original.to[0]!,
      recipients: { to: [original.from], cc: [], bcc: [] },
      text: '',
      signatures: { agent: '', channel: '' },
    });
    expect(h.text.startsWith('---------- Forwarded message ----------\n')).toBe(true);
  });
});
