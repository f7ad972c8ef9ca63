import type { ChannelForm } from '../../../shared/channel';
import type { ConnectionTestResult, ProbeResult } from '../../../shared/contract';
import { describeMailError } from '../../../shared/errors';
import { probeImap, probeSmtp } from './probe';

export { probeImap, probeSmtp, DEFAULT_TIMEOUT_MS } from './probe';
export { fetchServerCertificate } from './certificate';

/**
 * Test Connection on the (unsaved) form, passwords filled in. Both probes run at once and each
 * reports on its own: one failing never hides the other's result.
 */
export async function testConnection(values: ChannelForm, opts: { timeoutMs?: number } = {}): Promise<ConnectionTestResult> {
  const [imap, smtp] = await Promise.all([
    probeImap(values.imap, opts).catch((err) => unexpected('imap', values.imap, err)),
    probeSmtp(values.smtp, { ...opts, recipient: values.supportAddress }).catch((err) => unexpected('smtp', values.smtp, err)),
  ]);
  return { imap, smtp };
}

// The probes never throw; this is the net under them, so one bug cannot sink both results.
function unexpected(protocol: 'imap' | 'smtp', s: { host: string; port: number }, err: unknown): ProbeResult {
  const detail = err instanceof Error ? err.message : undefined;
  return { ok: false, error: describeMailError('SERVER_ERROR', { protocol, host: s.host, port: s.port }, detail) };
}
