import { useId } from 'react';
import { useWatch } from 'react-hook-form';
import type { Protocol } from '../../../../shared/channel';
import type { CertificateInfo, ConnectionTestResult, ProbeResult } from '../../../../shared/contract';
import { ServerReply } from '../../components/ServerReply';
import { formatDate } from './format';
import type { ChannelFormApi } from './ServerSection';

const LABEL: Record<Protocol, string> = { imap: 'IMAP', smtp: 'SMTP' };

/** The two independent results of Test Connection, each a region named IMAP / SMTP. */
export function TestResults({ result, form }: { result: ConnectionTestResult; form: ChannelFormApi }) {
  return (
    <div className="probe-grid">
      {(['imap', 'smtp'] as const).map((protocol) => (
        <ProbeResultView key={protocol} protocol={protocol} result={result[protocol]} form={form} />
      ))}
    </div>
  );
}

function ProbeResultView({ protocol, result, form }: { protocol: Protocol; result: ProbeResult; form: ChannelFormApi }) {
  const label = LABEL[protocol];
  if (result.ok) {
    return (
      <section aria-label={label} className="probe probe-ok">
        <h4 className="probe-title">
          <StatusIcon ok />
          {label}: connected
        </h4>
        <p className="probe-summary">{result.summary}</p>
      </section>
    );
  }
  const { error, certificate } = result;
  return (
    <section aria-label={label} className="probe probe-bad">
      <h4 className="probe-title">
        <StatusIcon ok={false} />
        {label}: failed
      </h4>
      <p className="probe-message">{error.message}</p>
      <p className="probe-line">
        <strong>Likely cause:</strong> {error.cause}
      </p>
      <p className="probe-line">
        <strong>How to fix:</strong> {error.fix}
      </p>
      {certificate ? <CertificateTrust protocol={protocol} certificate={certificate} form={form} /> : null}
      <ServerReply detail={error.detail} />
    </section>
  );
}

function CertificateTrust({ protocol, certificate, form }: { protocol: Protocol; certificate: CertificateInfo; form: ChannelFormApi }) {
  const checkboxId = useId();
  const trusted = useWatch({ control: form.control, name: `${protocol}.trustedCertificate` });
  const checked = trusted?.fingerprint256 === certificate.fingerprint256;
  const expired = new Date(certificate.validTo).getTime() < Date.now();
  return (
    <div className="cert">
      <p className="cert-title">Certificate presented by the server</p>
      <dl className="cert-facts">
        <div>
          <dt>Subject</dt>
          <dd className="text-break">{certificate.subject}</dd>
        </div>
        <div>
          <dt>Issuer</dt>
          <dd className="text-break">{certificate.issuer}</dd>
        </div>
        <div>
          <dt>Valid</dt>
          <dd>
            {formatDate(certificate.validFrom)} – {formatDate(certificate.validTo)}
            {expired ? <strong className="text-danger"> (expired)</strong> : null}
          </dd>
        </div>
        <div>
          <dt>SHA-256</dt>
          <dd className="mono text-break">{certificate.fingerprint256}</dd>
        </div>
      </dl>
      <div className="checkbox-row">
        <input
          id={checkboxId}
          type="checkbox"
          className="checkbox"
          checked={checked}
          onChange={(event) =>
            form.setValue(
              `${protocol}.trustedCertificate`,
              event.target.checked ? { pem: certificate.pem, fingerprint256: certificate.fingerprint256 } : null,
              { shouldDirty: true },
            )
          }
        />
        <label htmlFor={checkboxId}>Trust this certificate for this channel</label>
      </div>
      <p className="field-hint">
        Only if this is your own server and you recognise this fingerprint. Then test again; the card will show that the certificate is trusted manually.
      </p>
    </div>
  );
}

function StatusIcon({ ok }: { ok: boolean }) {
  return (
    <span className={`probe-icon ${ok ? 'probe-icon-ok' : 'probe-icon-bad'}`} aria-hidden="true">
      {ok ? '✓' : '✕'}
    </span>
  );
}
