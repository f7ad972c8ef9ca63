import type { ChannelState } from '../../../../shared/channel';
import type { AppError } from '../../../../shared/errors';

/** Small pure helpers for the channel UI; kept apart so they can be unit-tested under Node. */

export const STATE_LABEL: Record<ChannelState, string> = {
  disabled: 'Disabled',
  starting: 'Starting',
  connected: 'Connected',
  syncing: 'Syncing',
  retrying: 'Retrying',
  error: 'Error',
  'sign-in-required': 'Sign-in needed',
};

/** Colour family of a connection state, used as a CSS modifier. */
export function stateTone(state: ChannelState): 'ok' | 'busy' | 'warn' | 'bad' | 'off' {
  switch (state) {
    case 'connected':
      return 'ok';
    case 'starting':
    case 'syncing':
      return 'busy';
    case 'retrying':
      return 'warn';
    case 'error':
    case 'sign-in-required':
      return 'bad';
    case 'disabled':
      return 'off';
  }
}

/** "AB:CD:EF:01:23:45:67:89…" — enough of a SHA-256 fingerprint to recognise it on a card. */
export function shortFingerprint(fingerprint: string, groups = 8): string {
  const parts = fingerprint.split(':');
  return parts.length > groups ? `${parts.slice(0, groups).join(':')}…` : fingerprint;
}

/** A certificate date as the reader's locale writes it; the raw text when it does not parse. */
export function formatDate(value: string): string {
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : date.toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
}

/** Paths the main side reports for the form ("values.imap.port" for update/test) as form paths. */
export function formPath(path: string): string {
  return path.replace(/^values\./, '');
}

/** One readable sentence for an error envelope: message, then its hint when there is one. */
export function errorText(error: Pick<AppError, 'message' | 'hint'>): string {
  return error.hint ? `${error.message} ${error.hint}` : error.message;
}

const STANDARD_PORTS = {
  imap: { implicit: 993, starttls: 143 },
  smtp: { implicit: 465, starttls: 587 },
} as const;

/**
 * A nudge when the TLS/SSL switch and the port disagree with the usual pairing, so a typo shows up
 * before Test Connection does. Null when the combination is the usual one (or the port is not a number).
 */
export function tlsPortAdvice(protocol: 'imap' | 'smtp', settings: { port: number; tls: boolean; tlsMode: 'auto' | 'implicit' | 'starttls' }): string | null {
  const { port, tls, tlsMode } = settings;
  if (!Number.isInteger(port)) return null;
  const std = STANDARD_PORTS[protocol];
  const name = protocol.toUpperCase();
  if (!tls) {
    return port === std.implicit ? `Port ${port} expects TLS/SSL on (implicit TLS).` : null;
  }
  if (tlsMode === 'auto' && port !== std.implicit && port !== std.starttls && !(protocol === 'smtp' && port === 25)) {
    return `Port ${port} is not a standard ${name} port, so STARTTLS is assumed. If the server expects TLS from the first byte, set TLS mode to Implicit TLS.`;
  }
  if (tlsMode === 'starttls' && port === std.implicit) {
    return `Port ${port} normally uses implicit TLS, not STARTTLS.`;
  }
  if (tlsMode === 'implicit' && port === std.starttls) {
    return `Port ${port} normally uses STARTTLS, not implicit TLS.`;
  }
  return null;
}
