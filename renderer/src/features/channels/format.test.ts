import { describe, expect, it } from 'vitest';
import { errorText, formPath, shortFingerprint, stateTone, tlsPortAdvice } from './format';

describe('channel UI helpers', () => {
  it('shortens a SHA-256 fingerprint to its first groups', () => {
    const fp = Array.from({ length: 32 }, (_, i) => i.toString(16).padStart(2, '0').toUpperCase()).join(':');
    expect(shortFingerprint(fp)).toBe('00:01:02:03:04:05:06:07…');
    expect(shortFingerprint('AB:CD')).toBe('AB:CD');
  });

  it('maps paths of update and test inputs onto form fields', () => {
    expect(formPath('values.imap.port')).toBe('imap.port');
    expect(formPath('smtp.fromAddress')).toBe('smtp.fromAddress');
  });

  it('joins an error message and its hint', () => {
    expect(errorText({ message: 'No keychain.', hint: 'Install gnome-keyring.' })).toBe('No keychain. Install gnome-keyring.');
    expect(errorText({ message: 'Failed.' })).toBe('Failed.');
  });

  it('gives every connection state a tone', () => {
    expect(stateTone('connected')).toBe('ok');
    expect(stateTone('error')).toBe('bad');
    expect(stateTone('disabled')).toBe('off');
  });
});

describe('tlsPortAdvice', () => {
  it('is quiet for the usual pairings', () => {
    expect(tlsPortAdvice('imap', { port: 993, tls: true, tlsMode: 'auto' })).toBeNull();
    expect(tlsPortAdvice('imap', { port: 143, tls: true, tlsMode: 'auto' })).toBeNull();
    expect(tlsPortAdvice('smtp', { port: 587, tls: true, tlsMode: 'auto' })).toBeNull();
    expect(tlsPortAdvice('smtp', { port: 465, tls: true, tlsMode: 'auto' })).toBeNull();
    expect(tlsPortAdvice('smtp', { port: 587, tls: false, tlsMode: 'auto' })).toBeNull();
    expect(tlsPortAdvice('imap', { port: Number.NaN, tls: true, tlsMode: 'auto' })).toBeNull();
  });

  it('points out the unusual ones', () => {
    expect(tlsPortAdvice('imap', { port: 993, tls: false, tlsMode: 'auto' })).toMatch(/expects TLS\/SSL on/);
    expect(tlsPortAdvice('imap', { port: 10993, tls: true, tlsMode: 'auto' })).toMatch(/STARTTLS is assumed/);
    expect(tlsPortAdvice('imap', { port: 10993, tls: true, tlsMode: 'implicit' })).toBeNull();
    expect(tlsPortAdvice('smtp', { port: 465, tls: true, tlsMode: 'starttls' })).toMatch(/implicit TLS/);
  });
});
