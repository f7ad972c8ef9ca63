import { describe, expect, it } from 'vitest';
import { channelFormSchema, createChannelInput, defaultChannelForm, resolveTlsMode, type ChannelForm } from './channel';

function validForm(): ChannelForm {
  const form = defaultChannelForm();
  form.name = 'Support Email';
  form.imap = { ...form.imap, host: 'imap.example.com', username: 'support@example.com', password: 'app-password' };
  form.smtp = { ...form.smtp, host: 'smtp.example.com', username: 'support@example.com', password: 'app-password', fromAddress: 'support@example.com' };
  form.supportAddress = 'support@example.com';
  return form;
}

function fieldErrors(result: { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } }) {
  return Object.fromEntries((result.error?.issues ?? []).map((issue) => [issue.path.join('.'), issue.message]));
}

describe('channel form schema', () => {
  it('accepts a complete form', () => {
    expect(createChannelInput.safeParse(validForm()).success).toBe(true);
  });

  it('names each invalid field with a message a person can act on', () => {
    const form = validForm();
    form.imap.port = 70000;
    form.smtp.port = Number.NaN; // what an emptied number input gives
    form.imap.host = 'imaps://imap.example.com:993';
    form.smtp.fromAddress = 'not-an-address';
    form.supportAddress = '';
    form.name = '  ';
    const errors = fieldErrors(createChannelInput.safeParse(form));
    expect(errors['imap.port']).toBe('Port must be a whole number from 1 to 65535');
    expect(errors['smtp.port']).toBe('Port must be a whole number from 1 to 65535');
    expect(errors['imap.host']).toMatch(/only the host name/);
    expect(errors['smtp.fromAddress']).toMatch(/email address like/);
    expect(errors['supportAddress']).toBeDefined();
    expect(errors['name']).toBe('Channel Name is required');
  });

  it('requires both passwords when creating, but not when editing', () => {
    const form = validForm();
    form.imap.password = '';
    form.smtp.password = '';
    const errors = fieldErrors(createChannelInput.safeParse(form));
    expect(errors).toEqual({ 'imap.password': 'Password is required', 'smtp.password': 'Password is required' });
    expect(channelFormSchema.safeParse(form).success).toBe(true);
  });

  it('rejects a fractional port', () => {
    const form = validForm();
    form.imap.port = 99.5;
    expect(fieldErrors(createChannelInput.safeParse(form))['imap.port']).toBeDefined();
  });

  it('keeps spaces inside passwords but trims hosts and addresses', () => {
    const form = validForm();
    form.imap.password = ' abcd efgh ';
    form.imap.host = ' imap.example.com ';
    const parsed = createChannelInput.parse(form);
    expect(parsed.imap.password).toBe(' abcd efgh ');
    expect(parsed.imap.host).toBe('imap.example.com');
  });
});

describe('TLS mode from the switch and the port', () => {
  const auto = { tls: true, tlsMode: 'auto' as const };
  it('treats 993 and 465 as implicit TLS', () => {
    expect(resolveTlsMode('imap', { ...auto, port: 993 })).toBe('implicit');
    expect(resolveTlsMode('smtp', { ...auto, port: 465 })).toBe('implicit');
  });
  it('treats 143, 587 and other ports as required STARTTLS', () => {
    expect(resolveTlsMode('imap', { ...auto, port: 143 })).toBe('starttls');
    expect(resolveTlsMode('smtp', { ...auto, port: 587 })).toBe('starttls');
    expect(resolveTlsMode('smtp', { ...auto, port: 2525 })).toBe('starttls');
    // 465 is only implicit for SMTP; an IMAP server there is unusual and gets STARTTLS.
    expect(resolveTlsMode('imap', { ...auto, port: 465 })).toBe('starttls');
  });
  it('switch off means plaintext whatever the port', () => {
    expect(resolveTlsMode('imap', { tls: false, tlsMode: 'implicit', port: 993 })).toBe('none');
  });
  it('an explicit mode wins over the port', () => {
    expect(resolveTlsMode('imap', { tls: true, tlsMode: 'implicit', port: 10993 })).toBe('implicit');
    expect(resolveTlsMode('smtp', { tls: true, tlsMode: 'starttls', port: 465 })).toBe('starttls');
  });
});
