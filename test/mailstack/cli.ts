// Runs the test mail servers until Ctrl-C, to try the app against them by hand:
//   npx tsx test/mailstack/cli.ts [--dir D] [--cyrus]
import { parseArgs } from 'node:util';
import { DMARC_STRICT_RECIPIENT, startMailStack } from './mailstack.js';

const { values } = parseArgs({ options: { dir: { type: 'string' }, cyrus: { type: 'boolean' } } });

const stack = await startMailStack({ ...(values.dir ? { dir: values.dir } : {}), cyrus: values.cyrus === true });

const rows: [string, string, string][] = [
  ['IMAP', String(stack.imap.plain), 'plaintext login allowed; STARTTLS offered on the same port'],
  ['IMAP', String(stack.imap.implicitTls), 'implicit TLS'],
  ['SMTP', String(stack.smtp.plain), 'no TLS offered, AUTH in plaintext'],
  ['SMTP', String(stack.smtp.starttls), 'STARTTLS required before AUTH'],
  ['SMTP', String(stack.smtp.implicitTls), 'implicit TLS'],
  ['SMTP', String(stack.smtp.rejecting), 'rejects every message: 550 5.7.1'],
  ['SMTP', String(stack.smtp.rateLimited), 'second message within 60 s: 450 4.7.1'],
  ['LMTP', String(stack.lmtp), 'delivery into Dovecot'],
  ['TCP', String(stack.silent), 'accepts and never answers (timeouts)'],
  ['TCP', String(stack.closed), 'closed (connection refused)'],
  ...(stack.cyrus
    ? ([
        ['IMAP', String(stack.cyrus.imap.plain), 'Cyrus: plaintext login allowed; STARTTLS offered on the same port'],
        ['IMAP', String(stack.cyrus.imap.implicitTls), 'Cyrus: implicit TLS (folders INBOX.Sent, ...)'],
        ['LMTP', String(stack.cyrus.lmtp), 'delivery into Cyrus'],
      ] as [string, string, string][])
    : []),
];
const width = (i: 0 | 1): number => Math.max(...rows.map((r) => r[i].length));
const line = (r: [string, string, string]): string => `  ${r[0].padEnd(width(0))}  ${r[1].padEnd(width(1))}  ${r[2]}`;

const out = [
  `Mail servers on ${stack.host}, domain auxilium.test (dir ${stack.dir})`,
  '',
  ...rows.map(line),
  '',
  ...[...Object.values(stack.users), ...Object.values(stack.cyrus?.users ?? {})].map((u) => `  ${u.user.padEnd(24)}  password ${u.password}`),
  '',
  `  OAuth 2.0 only: ${stack.oauth.address}; issuer ${stack.oauth.issuer}; sign in as ${stack.oauth.user.login} / ${stack.oauth.user.password}`,
  `  register a client: curl -s -H 'content-type: application/json' -d '{"application_type":"native","redirect_uris":["http://127.0.0.1/"],"token_endpoint_auth_method":"none","grant_types":["authorization_code","refresh_token"],"response_types":["code"]}' ${stack.oauth.registrationEndpoint}`,
  `  scopes: openid offline_access mail`,
  `  outside recipient (Relay access denied): ${stack.relayDeniedRecipient}`,
  `  recipient refusing over DMARC (550 5.7.26): ${DMARC_STRICT_RECIPIENT}`,
  `  self-signed certificate: ${stack.dir}/tls/cert.pem (CN localhost, SAN IP:127.0.0.1, DNS:localhost)`,
  `  logs: ${stack.dir}/dovecot.log, ${stack.dir}/postfix.log`,
  '',
  JSON.stringify({ ...stack, certPem: undefined, stop: undefined }, null, 2),
  '',
  'Ctrl-C stops the servers.',
];
console.log(out.join('\n'));

let stopping = false;
const shutdown = (): void => {
  if (stopping) return;
  stopping = true;
  stack.stop().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
// Nothing else holds the event loop open: the servers run as their own daemons.
setInterval(() => undefined, 1 << 30);
