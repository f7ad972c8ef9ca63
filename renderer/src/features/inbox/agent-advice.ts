import type { MailError } from '../../../../shared/errors';

/**
 * What an agent can do about a reply that was not sent, in their words: the mapped error's cause and
 * fix speak to whoever runs the mailbox (DNS records, SMTP settings), which an agent cannot change.
 * `channel` names where an admin finds the setting.
 */
export function agentAdvice(error: MailError | null, channel: string): string {
  const where = `Channels → ${channel}`;
  switch (error?.code) {
    case 'RECIPIENT_DEFERRED':
      return 'Nothing yet: the reply is tried again by itself. If it has not gone after a few hours, reach the customer another way.';
    case 'RATE_LIMITED':
      return 'Wait a few minutes, then Retry. If it keeps happening, tell your admin that the provider is limiting how much the team sends.';
    case 'SENDER_NOT_AUTHENTICATED':
      return `Ask your admin: the sending domain's DNS records need fixing, and the card under ${where} says which. Retrying will not help until then; meanwhile Edit keeps your text.`;
    case 'MESSAGE_REJECTED':
      return `Retrying will not help until the sending domain is fixed. Tell your admin (the fix is under ${where}); meanwhile Edit keeps your text.`;
    case 'AUTH_FAILED':
    case 'RELAY_DENIED':
    case 'HOST_NOT_FOUND':
    case 'CONNECTION_REFUSED':
    case 'TIMEOUT':
    case 'TLS_HANDSHAKE_FAILED':
    case 'STARTTLS_UNAVAILABLE':
    case 'TLS_REQUIRED':
    case 'CERTIFICATE_INVALID':
      return `The channel's mail settings need your admin: ask them to open ${where} and run Test Connection. Retry once they have fixed it.`;
    default:
      return 'Retry. If it fails again, send your admin the server’s answer below.';
  }
}

/** Failures whose cause and fix are DNS work for the admin: agents are shown only whom to ask. */
export function fixIsForAdmin(error: MailError): boolean {
  return error.code === 'SENDER_NOT_AUTHENTICATED';
}
