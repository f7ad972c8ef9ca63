import { useId, useState } from 'react';
import type { Channel, ChannelNotice } from '../../../../shared/channel';
import type { TeamSyncStatus } from '../../../../shared/team-events';
import type { AppError } from '../../../../shared/errors';
import { ErrorAlert } from '../../components/ErrorAlert';
import { ServerReply } from '../../components/ServerReply';
import { dnsRecordFixes } from '../../../../shared/sender-authentication';
import { STATE_LABEL, shortFingerprint, stateTone } from './format';
import { signInWithBrowser } from './sign-in';
import { useChannelsStore } from './store';

const PROTOCOL_LABEL = { imap: 'IMAP', smtp: 'SMTP' } as const;

const TEAM_TONE: Record<TeamSyncStatus['state'], string> = { off: 'off', connecting: 'busy', connected: 'ok', 'catching-up': 'busy', offline: 'warn' };

/** "Connected", "Catching up 1,200 events", "Offline, 3 waiting". */
export function teamSyncLabel(team: TeamSyncStatus): string {
  switch (team.state) {
    case 'off':
      return 'Off';
    case 'connecting':
      return 'Connecting';
    case 'connected':
      return team.waiting > 0 ? `Connected, sending ${team.waiting}` : 'Connected';
    case 'catching-up':
      return `Catching up ${team.behind.toLocaleString('en')} event${team.behind === 1 ? '' : 's'}`;
    case 'offline':
      return team.waiting > 0 ? `Offline, ${team.waiting} waiting` : 'Offline';
  }
}

export interface ChannelCardProps {
  channel: Channel;
  onEdit(channel: Channel): void;
  onDelete(channel: Channel): void;
}

/** One channel in the grid: an article named by the channel's name. */
export function ChannelCard({ channel, onEdit, onDelete }: ChannelCardProps) {
  const titleId = useId();
  const setEnabled = useChannelsStore((s) => s.setEnabled);
  const [busy, setBusy] = useState(false);
  const [signingIn, setSigningIn] = useState(false);
  const [signInError, setSignInError] = useState<AppError | null>(null);
  const tone = stateTone(channel.status.state);
  // One note per trusted certificate; IMAP and SMTP often present the same one.
  const trusted: { protocols: string[]; fingerprint: string }[] = [];
  for (const protocol of ['imap', 'smtp'] as const) {
    const cert = channel[protocol].trustedCertificate;
    if (!cert) continue;
    const same = trusted.find((t) => t.fingerprint === cert.fingerprint256);
    if (same) same.protocols.push(PROTOCOL_LABEL[protocol]);
    else trusted.push({ protocols: [PROTOCOL_LABEL[protocol]], fingerprint: cert.fingerprint256 });
  }

  /** The stored sign-in stopped working: sign in again in the browser; the channel then starts over. */
  async function signInAgain() {
    if (signingIn) return;
    setSigningIn(true);
    setSignInError(null);
    const result = await signInWithBrowser({ channelId: channel.id });
    setSigningIn(false);
    if (!result.ok) setSignInError(result.error);
  }

  async function toggleEnabled() {
    setBusy(true);
    await setEnabled(channel.id, !channel.enabled);
    setBusy(false);
  }

  return (
    <article className="card channel-card" aria-labelledby={titleId}>
      <header className="card-header">
        <div className="card-title-row">
          <span className="channel-icon" aria-hidden="true">
            @
          </span>
          <div className="card-titles">
            <h2 id={titleId} className="card-title">
              {channel.name}
            </h2>
            <p className="card-subtitle">Email</p>
          </div>
        </div>
        <span className={`badge ${channel.enabled ? 'badge-on' : 'badge-off'}`}>{channel.enabled ? 'Enabled' : 'Disabled'}</span>
      </header>

      <dl className="card-facts">
        <div>
          <dt>Type</dt>
          <dd>Email</dd>
        </div>
        <div>
          <dt>Support address</dt>
          <dd className="text-break">{channel.supportAddress}</dd>
        </div>
        <div>
          <dt>Connection</dt>
          <dd>
            <span className={`status status-${tone}`}>
              <span className="status-dot" aria-hidden="true" />
              <span className="status-state">{STATE_LABEL[channel.status.state]}</span>
            </span>
            {/* Always two lines high, so the buttons below do not move while the state changes (a sync counts up). */}
            <span className="status-message" title={channel.status.message ?? undefined}>
              {channel.status.message ?? ''}
            </span>
          </dd>
        </div>
        {channel.team && (
          <div>
            <dt>Team sync</dt>
            <dd>
              <span className={`status status-${TEAM_TONE[channel.team.state]}`}>
                <span className="status-dot" aria-hidden="true" />
                <span className="status-state">{teamSyncLabel(channel.team)}</span>
              </span>
              <span className="status-message" title={channel.team.message}>
                {channel.team.message}
              </span>
            </dd>
          </div>
        )}
        {/* A server without a Sent folder is said once, in the notice below that also offers the fix. */}
        {channel.status.sent && !channel.notices.some((n) => n.kind === 'no-sent-folder') ? (
          <div>
            <dt>Sent folder</dt>
            <dd className={channel.status.sent.watched ? 'muted text-break' : 'text-break'}>
              {channel.status.sent.watched ? channel.status.sent.message : `Not watched: ${channel.status.sent.message}`}
            </dd>
          </div>
        ) : null}
        <div>
          <dt>Servers</dt>
          <dd className="text-break muted">
            {channel.imap.host}:{channel.imap.port} · {channel.smtp.host}:{channel.smtp.port}
          </dd>
        </div>
      </dl>

      {trusted.length > 0 ? (
        <ul className="card-notes" role="list">
          {trusted.map(({ protocols, fingerprint }) => (
            <li key={fingerprint} className="note note-warn" title={`SHA-256 ${fingerprint}`}>
              Trusted certificate ({protocols.join(', ')}): SHA-256 <span className="mono">{shortFingerprint(fingerprint)}</span>
            </li>
          ))}
        </ul>
      ) : null}

      {channel.status.state === 'sign-in-required' ? (
        <div className="card-notes">
          <p className="note note-warn">Replies wait in the outbox and imported mail stays until someone signs in again.</p>
          <button type="button" className="btn btn-primary btn-small" aria-disabled={signingIn || undefined} onClick={() => void signInAgain()}>
            {signingIn ? 'Waiting for the browser…' : 'Sign in again'}
          </button>
        </div>
      ) : null}
      {signInError ? <ErrorAlert error={signInError} title="Sign-in did not complete." onDismiss={() => setSignInError(null)} /> : null}

      {channel.notices.length > 0 ? (
        <ul className="card-notes" role="list" aria-label="Server notices">
          {channel.notices.map((notice) => (
            <NoticeItem key={notice.kind} channel={channel} notice={notice} onChoose={() => onEdit(channel)} />
          ))}
        </ul>
      ) : null}

      <footer className="card-actions">
        <button type="button" className="btn btn-secondary btn-small" onClick={() => onEdit(channel)}>
          Edit
        </button>
        <button type="button" className="btn btn-secondary btn-small" onClick={() => void toggleEnabled()} disabled={busy}>
          {channel.enabled ? 'Disable' : 'Enable'}
        </button>
        <button type="button" className="btn btn-danger-ghost btn-small" onClick={() => onDelete(channel)}>
          Delete
        </button>
      </footer>
    </article>
  );
}

/** What the server does that the admin should know about: the words, the cause and the fix. */
function NoticeItem({ channel, notice, onChoose }: { channel: Channel; notice: ChannelNotice; onChoose(): void }) {
  const createSentFolder = useChannelsStore((s) => s.createSentFolder);
  const [creating, setCreating] = useState(false);
  switch (notice.kind) {
    case 'sent-copy-failed':
      return (
        <li className="note note-warn">
          <strong>Sent copies are not being filed in “{notice.folder}”:</strong> {notice.error.message}. {notice.error.cause} {notice.error.fix}
          <ServerReply detail={notice.error.detail} />
        </li>
      );
    case 'no-sent-folder':
      return (
        <li className="note note-warn">
          <strong>This server has no Sent folder:</strong> replies go out, but no copy of them is kept on the server, and replies sent from other mail clients
          are not shown.
          <span className="note-actions">
            <button
              type="button"
              className="btn btn-secondary btn-small"
              disabled={creating}
              onClick={() => {
                setCreating(true);
                void createSentFolder(channel.id).finally(() => setCreating(false));
              }}
            >
              {creating ? 'Creating…' : 'Create a Sent folder'}
            </button>
            <button type="button" className="btn btn-ghost btn-small" onClick={onChoose}>
              Choose a folder…
            </button>
          </span>
        </li>
      );
    case 'sender-not-authenticated':
      return <SenderNotAuthenticated channel={channel} notice={notice} />;
    case 'idle-silent':
      return (
        <li className="note note-warn">
          This server does not push new mail (IDLE); new mail is checked every {notice.pollSeconds} s. Lower the check interval in the channel settings to see
          new mail sooner.
        </li>
      );
  }
}

const CHECK_LABEL = { spf: 'SPF', dkim: 'DKIM', dmarc: 'DMARC' } as const;

/**
 * Replies are refused because the From domain's mail does not pass SPF, DKIM or DMARC: the records
 * to add or fix, for that domain and this channel's SMTP server, so the admin can copy them.
 */
function SenderNotAuthenticated({ channel, notice }: { channel: Channel; notice: Extract<ChannelNotice, { kind: 'sender-not-authenticated' }> }) {
  const fixes = dnsRecordFixes(notice.checks, notice.domain, channel.smtp.host);
  return (
    <li className="note note-warn dns-fix">
      <p>
        <strong>
          Replies are refused: {notice.domain} does not pass {fixes.map((f) => CHECK_LABEL[f.check]).join(', ')}.
        </strong>{' '}
        The receiving server could not verify that {notice.domain} allows {channel.smtp.host} to send its mail. In the DNS of {notice.domain}:
      </p>
      <ul className="dns-fix-records">
        {fixes.map((fix) => (
          <li key={fix.check}>
            <strong>{CHECK_LABEL[fix.check]}</strong>: {fix.how}
            <dl className="dns-fix-record">
              <div>
                <dt>Name</dt>
                <dd className="mono">{fix.name}</dd>
              </div>
              <div>
                <dt>Type</dt>
                <dd className="mono">{fix.type}</dd>
              </div>
              {fix.value ? (
                <div>
                  <dt>Value</dt>
                  <dd className="mono">{fix.value}</dd>
                </div>
              ) : null}
            </dl>
          </li>
        ))}
      </ul>
      <p>DNS changes can take a while to reach other servers; then Retry the failed replies.</p>
      <ServerReply detail={notice.error.detail} />
    </li>
  );
}
