// A real Dovecot + Postfix pair on loopback high ports, run from a directory the stack owns.
// Needs root: Postfix's master and Dovecot's master both insist on it, and both drop privileges
// to the Debian package users (postfix, dovecot, dovenull) themselves.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import tls from 'node:tls';
import path from 'node:path';
import { promisify } from 'node:util';
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import type { AuthServerInfo } from './auth-server';
import { readCyrusPid, startCyrus, stopMaster, type CyrusServer } from './cyrus.js';

const execFileAsync = promisify(execFile);

export interface MailUser {
  user: string;
  password: string;
  address: string;
}

/** The users and IMAP side of one IMAP server of the stack; Postfix delivers to both. */
export interface ImapServerInfo {
  /** Which server implementation holds these users' mailboxes. */
  server: 'dovecot' | 'cyrus';
  imap: { plain: number; starttls: number; implicitTls: number };
  /** Delivery straight into this server. */
  lmtp: number;
  users: { support: MailUser; customer: MailUser; other: MailUser; cc: MailUser };
  /** The folder marked \Sent: Dovecot's "Sent", Cyrus's "INBOX.Sent" (altnamespace off). */
  sentFolder: string;
}

export interface MailStack {
  dir: string;
  host: '127.0.0.1';
  server: ImapServerInfo['server'];
  sentFolder: string;
  /** A Cyrus IMAP server beside Dovecot, with users of its own domain (CYRUS_DOMAIN), when started with `cyrus: true`. */
  cyrus?: ImapServerInfo;
  certPem: string;
  // Dovecot offers STARTTLS on the plain listener and lets the client choose, so `starttls` is the
  // same port as `plain`: whether TLS is used is the client's decision (imapflow's doSTARTTLS).
  imap: { plain: number; starttls: number; implicitTls: number };
  smtp: {
    plain: number;
    starttls: number;
    implicitTls: number;
    rejecting: number;
    rateLimited: number;
  };
  lmtp: number;
  silent: number;
  closed: number;
  /** `cc` is a second customer-side mailbox, e.g. for a Cc that is deferred for a while (deferRecipients). */
  users: { support: MailUser; customer: MailUser; other: MailUser; cc: MailUser };
  /**
   * A mailbox that accepts only OAuth 2.0 (XOAUTH2, OAUTHBEARER) for IMAP and SMTP, and the
   * authorization server whose tokens open it. Dovecot asks that server about every token.
   */
  oauth: AuthServerInfo & { address: string };
  relayDeniedRecipient: string;
  stop(): Promise<void>;
}

// What tests get from a stack started elsewhere (e.g. a global setup): plain data, no stop().
export type MailStackInfo = Omit<MailStack, 'stop'>;

export const MAIL_DOMAIN = 'auxilium.test';
/** The users of the Cyrus server: Postfix hands their mail to Cyrus over LMTP. */
export const CYRUS_DOMAIN = 'cyrus.test';
/** Mail to this address is deferred at RCPT TO ("450 4.2.0"), as greylisting or a full mailbox does. */
export const DEFERRED_RECIPIENT = `deferred@${MAIL_DOMAIN}`;
/**
 * Mail to this address is refused at RCPT TO as Gmail refuses mail whose From domain fails DMARC
 * ("550 5.7.26 Unauthenticated email from … is not accepted due to domain's DMARC policy"): the
 * receiving server of a customer that checks sender authentication, for a domain with no SPF/DKIM.
 */
export const DMARC_STRICT_RECIPIENT = `strict@${MAIL_DOMAIN}`;
const HOST = '127.0.0.1';

interface Layout {
  dir: string;
  tls: string;
  certFile: string;
  keyFile: string;
  dovecotDir: string;
  dovecotConf: string;
  dovecotUsers: string;
  dovecotUserdb: string;
  dovecotOAuth: string;
  dovecotLog: string;
  mailDir: string;
  postfixDir: string;
  postfixQueue: string;
  postfixData: string;
  postfixLog: string;
  cyrusDir: string;
}

function layout(dir: string): Layout {
  const dovecotDir = path.join(dir, 'dovecot');
  const postfixDir = path.join(dir, 'postfix');
  const tls = path.join(dir, 'tls');
  return {
    dir,
    tls,
    certFile: path.join(tls, 'cert.pem'),
    keyFile: path.join(tls, 'key.pem'),
    dovecotDir,
    dovecotConf: path.join(dovecotDir, 'dovecot.conf'),
    dovecotUsers: path.join(dovecotDir, 'users'),
    dovecotUserdb: path.join(dovecotDir, 'userdb'),
    dovecotOAuth: path.join(dovecotDir, 'dovecot-oauth2.conf.ext'),
    dovecotLog: path.join(dir, 'dovecot.log'),
    mailDir: path.join(dir, 'mail'),
    postfixDir,
    // Outside the config folder: postfix check walks that folder expecting root-owned files only.
    postfixQueue: path.join(dir, 'postfix-queue'),
    postfixData: path.join(dir, 'postfix-data'),
    postfixLog: path.join(dir, 'postfix.log'),
    cyrusDir: path.join(dir, 'cyrus'),
  };
}

export async function startMailStack(opts: { dir?: string; cyrus?: boolean } = {}): Promise<MailStack> {
  if (process.getuid?.() !== 0) {
    throw new Error('the mail stack needs root: postfix and dovecot masters refuse to start otherwise');
  }
  const dir = opts.dir ? path.resolve(opts.dir) : await mkdtemp(path.join(os.tmpdir(), 'auxilium-mailstack-'));
  await mkdir(dir, { recursive: true });
  // mkdtemp makes 0700; the postfix/dovecot/nobody users must be able to walk into it.
  await chmod(dir, 0o755);
  const l = layout(dir);

  await stopLeftovers(l);
  // Start from a clean slate so message counts and passwords belong to this run only.
  for (const sub of [
    l.tls,
    l.dovecotDir,
    l.mailDir,
    l.postfixDir,
    l.postfixQueue,
    l.postfixData,
    l.dovecotLog,
    l.postfixLog,
    restartedDovecotPidFile(l),
    restartedPostfixPidFile(l),
  ]) {
    await rm(sub, { recursive: true, force: true });
  }

  const {
    closed,
    oauth: oauthPort,
    cyrusImapPlain,
    cyrusImapTls,
    cyrusLmtp,
    ...ports
  } = await freePorts(['closed', 'oauth', 'cyrusImapPlain', 'cyrusImapTls', 'cyrusLmtp', ...PORT_NAMES]);

  const users = makeUsers(MAIL_DOMAIN);
  const cyrusUsers = opts.cyrus ? makeUsers(CYRUS_DOMAIN) : undefined;
  // Cyrus users log in to Postfix through Dovecot's auth like everyone else; their mail goes to Cyrus.
  const smtpUsers = [...Object.values(users), ...Object.values(cyrusUsers ?? {})];

  const oauthAddress = `oauth@${MAIL_DOMAIN}`;
  const certPem = await makeCert(l);
  const mailOwner = lookupIds('nobody');
  // Loaded here, not at the top: test files import this module for its helpers and need no provider.
  const { startAuthServer } = await import('./auth-server');
  const authServer = await startAuthServer({ port: oauthPort, mailboxAddress: oauthAddress });
  await writeDovecotConfig(l, ports, smtpUsers, oauthAddress, authServer, mailOwner);
  await writePostfixConfig(l, ports, [...smtpUsers.map((u) => u.address), oauthAddress], cyrusUsers ? cyrusLmtp : undefined);

  const silent = await startSilentServer();
  const dovecotPidFile = path.join(l.dovecotDir, 'run', 'master.pid');
  const postfixPidFile = path.join(l.postfixQueue, 'pid', 'master.pid');
  // Only the processes this call started are ever stopped by it: a later stack in the same dir
  // must survive a late stop() of an earlier one.
  let dovecotPid: number | undefined;
  let postfixPid: number | undefined;
  let cyrus: CyrusServer | undefined;
  const exitFallback = (): void => {
    for (const pid of [postfixPid, readPid(restartedPostfixPidFile(l)), dovecotPid, cyrus?.pid]) if (pid) signal(pid, 'SIGTERM');
  };
  process.on('exit', exitFallback);
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      process.off('exit', exitFallback);
      if (postfixPid && isAlive(postfixPid)) {
        // postfix stop is the orderly way, but it acts on whatever the pid file names.
        if (readPid(postfixPidFile) === postfixPid) {
          const pid = postfixPid;
          await run('postfix', ['-c', l.postfixDir, 'stop']).catch(() => signal(pid, 'SIGTERM'));
        } else {
          signal(postfixPid, 'SIGTERM');
        }
      }
      // A master started by startPostfix() belongs to this stack too.
      const restartedPostfix = readPid(restartedPostfixPidFile(l));
      if (restartedPostfix && restartedPostfix !== postfixPid && isAlive(restartedPostfix)) {
        if (readPid(postfixPidFile) === restartedPostfix) {
          await run('postfix', ['-c', l.postfixDir, 'stop']).catch(() => signal(restartedPostfix, 'SIGTERM'));
        } else {
          signal(restartedPostfix, 'SIGTERM');
        }
        await waitForExit(restartedPostfix);
      }
      // Dovecot only after Postfix is gone: its shutdown waits seconds for open auth clients.
      await waitForExit(postfixPid);
      if (dovecotPid) signal(dovecotPid, 'SIGTERM');
      // A master started by restartDovecot() belongs to this stack too.
      const restarted = readPid(restartedDovecotPidFile(l));
      if (restarted && restarted !== dovecotPid && isAlive(restarted)) signal(restarted, 'SIGTERM');
      await Promise.all([waitForExit(dovecotPid), waitForExit(restarted), silent.close(), cyrus?.stop(), authServer.stop()]);
    })();
    return stopped;
  };

  try {
    await runDaemon('dovecot', ['-c', l.dovecotConf], path.join(dir, 'dovecot.start.out'));
    dovecotPid = await waitForPid(dovecotPidFile);
    await runDaemon('postfix', ['-c', l.postfixDir, 'start'], path.join(dir, 'postfix.start.out'));
    postfixPid = await waitForPid(postfixPidFile);
    const tlsPorts: number[] = [ports.imapTls, ports.smtpTls, cyrusImapTls];
    const greeters: number[] = Object.values(ports);
    if (cyrusUsers) {
      cyrus = await startCyrus({
        dir: l.cyrusDir,
        host: HOST,
        certFile: l.certFile,
        keyFile: l.keyFile,
        users: Object.values(cyrusUsers),
        ports: { imapPlain: cyrusImapPlain, imapTls: cyrusImapTls, lmtp: cyrusLmtp },
        idled: true,
      });
      greeters.push(cyrusImapPlain, cyrusImapTls, cyrusLmtp);
    }
    await waitForGreetings(
      greeters.map((port) => ({ port, tls: tlsPorts.includes(port) })),
      certPem,
    );
  } catch (err) {
    const tails = [l.dovecotLog, l.postfixLog].map((f) => `--- ${f}\n${tail(f)}`).join('\n');
    await stop().catch(() => undefined);
    await stopLeftovers(l);
    throw new Error(`mail stack failed to start: ${(err as Error).message}\n${tails}`, { cause: err });
  }

  return {
    dir,
    host: HOST,
    server: 'dovecot',
    sentFolder: 'Sent',
    cyrus: cyrusUsers && {
      server: 'cyrus',
      // Cyrus too offers STARTTLS on its plain port and leaves the choice to the client.
      imap: { plain: cyrusImapPlain, starttls: cyrusImapPlain, implicitTls: cyrusImapTls },
      lmtp: cyrusLmtp,
      users: cyrusUsers,
      sentFolder: 'INBOX.Sent',
    },
    certPem,
    imap: { plain: ports.imapPlain, starttls: ports.imapPlain, implicitTls: ports.imapTls },
    smtp: {
      plain: ports.smtpPlain,
      starttls: ports.smtpStarttls,
      implicitTls: ports.smtpTls,
      rejecting: ports.smtpRejecting,
      rateLimited: ports.smtpRate,
    },
    lmtp: ports.lmtp,
    silent: silent.port,
    closed,
    users,
    oauth: {
      address: oauthAddress,
      issuer: authServer.issuer,
      registrationEndpoint: authServer.registrationEndpoint,
      user: authServer.user,
      introspectionClient: authServer.introspectionClient,
    },
    relayDeniedRecipient: 'someone@elsewhere.example',
    stop,
  };
}

/**
 * A Cyrus server of its own beside the stack (with the stack's certificate), configured unlike the
 * stack's: without idled (IDLE then only notices new mail every `idlePollSeconds`), or without a
 * Sent folder. Postfix does not deliver to it: tests deliver with deliverByLmtp(). Its users log in
 * to IMAP only; for SMTP a test uses a user of the stack.
 */
export async function startOwnCyrus(
  stack: MailStackInfo,
  opts: { idled: boolean; idlePollSeconds?: number; sentFolder: boolean },
): Promise<MailStackInfo & { stop(): Promise<void> }> {
  const dir = await mkdtemp(path.join(stack.dir, 'own-cyrus-'));
  const ports = await freePorts(['imapPlain', 'imapTls', 'lmtp']);
  const users = makeUsers(CYRUS_DOMAIN);
  const l = layout(stack.dir);
  const server = await startCyrus({ dir, host: HOST, certFile: l.certFile, keyFile: l.keyFile, users: Object.values(users), ports, ...opts });
  try {
    await waitForGreetings(
      [ports.imapPlain, ports.imapTls, ports.lmtp].map((port) => ({ port, tls: port === ports.imapTls })),
      stack.certPem,
    );
  } catch (err) {
    await server.stop();
    throw err;
  }
  return {
    ...stack,
    server: 'cyrus',
    imap: { plain: ports.imapPlain, starttls: ports.imapPlain, implicitTls: ports.imapTls },
    lmtp: ports.lmtp,
    users,
    sentFolder: 'INBOX.Sent',
    cyrus: undefined,
    stop: async () => {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Delivers straight into the IMAP server of `stack` (its LMTP port), without Postfix. */
export async function deliverByLmtp(stack: MailStackInfo, msg: { from: string; to: string; subject: string; text: string }): Promise<void> {
  const transport = nodemailer.createTransport({ host: stack.host, port: stack.lmtp, lmtp: true });
  try {
    await transport.sendMail(msg);
  } finally {
    transport.close();
  }
}

function makeUser(local: string, domain: string): MailUser {
  const address = `${local}@${domain}`;
  return { user: address, address, password: randomBytes(9).toString('hex') };
}

function makeUsers(domain: string): MailStack['users'] {
  return {
    support: makeUser('support', domain),
    customer: makeUser('customer', domain),
    other: makeUser('other', domain),
    cc: makeUser('cc', domain),
  };
}

/**
 * The stack once per IMAP server, for tests that run against each: Dovecot's users, and (when the
 * stack runs Cyrus) the same stack seen through Cyrus's users, ports and folder names. Mail between
 * users of one view stays on that server.
 */
export function imapServers(stack: MailStackInfo): MailStackInfo[] {
  if (!stack.cyrus) throw new Error('this mail stack runs no Cyrus server (start it with cyrus: true)');
  return [stack, { ...stack, ...stack.cyrus, cyrus: undefined }];
}

async function run(cmd: string, args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await execFileAsync(cmd, args, { timeout: 30_000 });
    return stdout + stderr;
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`, { cause: err });
  }
}

// The daemons keep the starting process's stdout/stderr; pipes would keep execFile waiting for
// them to close, so their output goes to a file instead.
async function runDaemon(cmd: string, args: string[], outFile: string): Promise<void> {
  const fd = openSync(outFile, 'w');
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(cmd, args, { stdio: ['ignore', fd, fd] });
      child.once('error', reject);
      child.once('exit', resolve);
    });
    if (code !== 0) {
      throw new Error(`${cmd} ${args.join(' ')} exited with ${code}\n${readFileSync(outFile, 'utf8')}`);
    }
  } finally {
    closeSync(fd);
  }
}

function tail(file: string, lines = 40): string {
  if (!existsSync(file)) return '(no log)';
  return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
}

function lookupIds(user: string): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

// All ports are held open together so the kernel cannot hand out the same one twice.
async function freePorts<K extends string>(names: K[]): Promise<Record<K, number>> {
  const servers = await Promise.all(
    names.map(
      () =>
        new Promise<net.Server>((resolve, reject) => {
          const s = net.createServer();
          s.once('error', reject);
          s.listen(0, HOST, () => resolve(s));
        }),
    ),
  );
  const ports = Object.fromEntries(names.map((name, i) => [name, (servers[i]?.address() as net.AddressInfo).port])) as Record<K, number>;
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

// A listening socket is not enough: a server with a broken TLS setup still accepts. Each port
// must send its greeting (over TLS where the port is implicit TLS) before the stack counts as up.
async function waitForGreetings(checks: { port: number; tls: boolean }[], ca: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const { port, tls: useTls } of checks) {
    for (;;) {
      const result = await greeting(port, useTls, ca);
      if (result === true) break;
      if (Date.now() > deadline) throw new Error(`no greeting from ${HOST}:${port}: ${result}`);
      await sleep(50);
    }
  }
}

function greeting(port: number, useTls: boolean, ca: string): Promise<true | string> {
  return new Promise((resolve) => {
    const s = useTls ? tls.connect({ host: HOST, port, ca }) : net.connect(port, HOST);
    const done = (r: true | string): void => {
      s.destroy();
      resolve(r);
    };
    s.setTimeout(2_000, () => done('timed out'));
    s.once('data', () => done(true));
    s.once('error', (err) => done(err.message));
    s.once('close', () => done('closed without a greeting'));
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function makeCert(l: Layout): Promise<string> {
  await mkdir(l.tls, { recursive: true });
  await run('openssl', [
    // EC rather than RSA: key generation is instant instead of about half a second.
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-sha256',
    '-days',
    '3650',
    '-keyout',
    l.keyFile,
    '-out',
    l.certFile,
    '-subj',
    '/CN=localhost',
    '-addext',
    'subjectAltName=IP:127.0.0.1,DNS:localhost',
  ]);
  // Both masters read the key as root before dropping privileges.
  await chmod(l.keyFile, 0o600);
  return readFile(l.certFile, 'utf8');
}

const PORT_NAMES = ['imapPlain', 'imapTls', 'lmtp', 'auth', 'smtpPlain', 'smtpStarttls', 'smtpTls', 'smtpRejecting', 'smtpRate'] as const;
type Ports = Record<(typeof PORT_NAMES)[number], number>;

async function writeDovecotConfig(
  l: Layout,
  p: Ports,
  users: MailUser[],
  oauthAddress: string,
  auth: { issuer: string; introspectionClient: { clientId: string; clientSecret: string } },
  owner: { uid: number; gid: number },
): Promise<void> {
  await mkdir(l.dovecotDir, { recursive: true });
  await mkdir(l.mailDir, { recursive: true });
  await chown(l.mailDir, owner.uid, owner.gid);

  // passwd-file: user:{scheme}pass:uid:gid:gecos:home:shell:extra. The OAuth mailbox has no password
  // at all: it is in the userdb (where its mail lives) but not in the password passdb.
  const entry = (user: string, password: string): string => `${user}:${password}:${owner.uid}:${owner.gid}::${path.join(l.mailDir, user)}::`;
  const passwords = users.map((u) => entry(u.user, `{PLAIN}${u.password}`));
  const files: [string, string[]][] = [
    [l.dovecotUsers, passwords],
    [l.dovecotUserdb, [...passwords, entry(oauthAddress, '')]],
  ];
  for (const [file, lines] of files) {
    await writeFile(file, lines.join('\n') + '\n', { mode: 0o640 });
    // The auth process reads it as default_internal_user.
    await chown(file, 0, lookupIds('dovecot').gid);
  }
  // Every XOAUTH2/OAUTHBEARER login is checked by asking the authorization server (RFC 7662
  // introspection, as the client Dovecot is registered as). Its answer names the mailbox the token
  // opens; it must be the one logging in.
  const { clientId, clientSecret } = auth.introspectionClient;
  const issuerUrl = new URL(auth.issuer);
  await writeFile(
    l.dovecotOAuth,
    `introspection_mode = post
introspection_url = http://${clientId}:${clientSecret}@${issuerUrl.host}/token/introspection
force_introspection = yes
username_attribute = mailbox
active_attribute = active
active_value = true
timeout_msecs = 10000
`,
    { mode: 0o640 },
  );
  await chown(l.dovecotOAuth, 0, lookupIds('dovecot').gid);

  const conf = `# Generated by test/mailstack/mailstack.ts for a throwaway test server.
instance_name = auxilium-mailstack
base_dir = ${l.dovecotDir}/run
state_dir = ${l.dovecotDir}/state
log_path = ${l.dovecotLog}
protocols = imap lmtp
listen = ${HOST}
default_login_user = dovenull
default_internal_user = dovecot
# The "TLS off" tests need plaintext LOGIN on the plain port; STARTTLS is still offered there.
disable_plaintext_auth = no
auth_mechanisms = plain login xoauth2 oauthbearer
auth_username_format = %Lu
auth_verbose = yes
# Real servers slow down failed logins; here that would only slow down wrong-password tests and
# every correct login that follows them from 127.0.0.1.
auth_failure_delay = 0
ssl = yes
ssl_cert = <${l.certFile}
ssl_key = <${l.keyFile}
ssl_min_protocol = TLSv1.2
mail_location = maildir:~/Maildir
postmaster_address = postmaster@${MAIL_DOMAIN}
# Every desktop of a team keeps two sessions per mailbox (the mailbox and its team folder), and the
# tests run several desktops on one user; the default of 10 per user and address is too few.
mail_max_userip_connections = 100
recipient_delimiter = +
# Test files run side by side and their desktops all log in as the same support user from
# 127.0.0.1, each channel with two sessions (inbox and Sent) plus the outbox's short ones; the
# default of 10 per user and address would refuse logins here.
mail_max_userip_connections = 200

passdb {
  driver = passwd-file
  mechanisms = plain login
  args = scheme=PLAIN ${l.dovecotUsers}
}
passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = ${l.dovecotOAuth}
}
userdb {
  driver = passwd-file
  args = ${l.dovecotUserdb}
}

namespace inbox {
  inbox = yes
  separator = /
  mailbox Drafts {
    special_use = \\Drafts
    auto = subscribe
  }
  mailbox Sent {
    special_use = \\Sent
    auto = subscribe
  }
  mailbox Junk {
    special_use = \\Junk
    auto = subscribe
  }
  mailbox Trash {
    special_use = \\Trash
    auto = subscribe
  }
}

# Both default listeners are redefined here, otherwise they would bind 143 and 993.
service imap-login {
  inet_listener imap {
    address = ${HOST}
    port = ${p.imapPlain}
  }
  inet_listener imaps {
    address = ${HOST}
    port = ${p.imapTls}
    ssl = yes
  }
}

service lmtp {
  inet_listener lmtp {
    address = ${HOST}
    port = ${p.lmtp}
  }
}

service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}

# Postfix asks this listener to check SMTP AUTH passwords (smtpd_sasl_type = dovecot).
service auth {
  inet_listener sasl {
    address = ${HOST}
    port = ${p.auth}
  }
}
`;
  await writeFile(l.dovecotConf, conf);
}

async function writePostfixConfig(l: Layout, p: Ports, addresses: string[], cyrusLmtp: number | undefined): Promise<void> {
  const d = l.postfixDir;
  await mkdir(d, { recursive: true });
  await writeFile(path.join(d, 'vmailbox'), addresses.map((a) => `${a} OK`).join('\n') + '\n');
  await writeFile(path.join(d, 'transport'), cyrusLmtp ? `${CYRUS_DOMAIN} lmtp:inet:${HOST}:${cyrusLmtp}\n` : '');
  await writeDeferredRecipients(d, [DEFERRED_RECIPIENT]);
  await writeFile(
    path.join(d, 'dmarc_recipients'),
    `${DMARC_STRICT_RECIPIENT} 550 5.7.26 Unauthenticated email from ${MAIL_DOMAIN} is not accepted due to domain's DMARC policy\n`,
  );

  const main = `# Generated by test/mailstack/mailstack.ts for a throwaway test server.
compatibility_level = 3.6
queue_directory = ${l.postfixQueue}
data_directory = ${l.postfixData}
mail_owner = postfix
setgid_group = postdrop
maillog_file = ${l.postfixLog}
maillog_file_prefixes = ${l.dir}
inet_interfaces = ${HOST}
inet_protocols = ipv4
myhostname = mail.${MAIL_DOMAIN}
mydomain = ${MAIL_DOMAIN}
myorigin = $mydomain
mydestination =
relay_domains =
relayhost =
alias_maps =
alias_database =
biff = no
smtp_dns_support_level = disabled
lmtp_dns_support_level = disabled
smtpd_peername_lookup = no

virtual_mailbox_domains = ${MAIL_DOMAIN}${cyrusLmtp ? `, ${CYRUS_DOMAIN}` : ''}
virtual_mailbox_maps = texthash:${d}/vmailbox
virtual_transport = lmtp:inet:${HOST}:${p.lmtp}
# ${CYRUS_DOMAIN} (when the stack runs Cyrus) goes to Cyrus's LMTP instead.
transport_maps = texthash:${d}/transport
# Nothing may ever leave this machine, whatever a test does.
default_transport = error:5.7.1 outbound mail is disabled on this test server
local_transport = error:5.1.1 local delivery is disabled on this test server

# No client is trusted by address: mynetworks names a documentation network, and
# neither relay nor rate-limit rules exempt anyone by network.
mynetworks = 192.0.2.1/32
smtpd_client_event_limit_exceptions =

# Relay rules deliberately leave out permit_sasl_authenticated: even a logged-in user may only send
# to ${MAIL_DOMAIN}, so RCPT TO an outside domain gets Postfix's real
# "554 5.7.1 <...>: Relay access denied" — the signal the app must map to "relay access denied".
smtpd_relay_restrictions = reject_unauth_destination
# Submission without login is refused, as on any real submission server. One recipient is deferred
# for everyone (the temporary refusal of a single customer), and one refuses mail from ${MAIL_DOMAIN}
# over DMARC (a customer's server that checks sender authentication; this domain publishes none).
smtpd_recipient_restrictions = check_recipient_access texthash:${d}/dmarc_recipients, check_recipient_access texthash:${d}/deferred_recipients, permit_sasl_authenticated, reject

smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = inet:${HOST}:${p.auth}
smtpd_sasl_authenticated_header = no
smtpd_tls_cert_file = ${l.certFile}
smtpd_tls_key_file = ${l.keyFile}
smtpd_tls_security_level = may
smtpd_tls_auth_only = yes
smtpd_banner = $myhostname ESMTP

# Used by the "rejecting" listener's own cleanup service: every message is refused at the end of
# DATA, like a content filter would, so the 5xx is about the message and not the recipient.
mailstack_reject_all = static:{REJECT Message rejected by content policy}
`;
  await writeFile(path.join(d, 'main.cf'), main);

  // chroot is off everywhere: the queue lives in a temp dir without the files a chroot needs.
  const smtpd = (port: number, name: string, ...o: string[]): string =>
    `${HOST}:${port} inet n - n - - smtpd\n  -o syslog_name=postfix/${name}\n` + o.map((x) => `  -o ${x}\n`).join('');
  const master = `# Generated by test/mailstack/mailstack.ts for a throwaway test server.
# The plain, rejecting and rate-limited listeners offer no STARTTLS at all, so a client with TLS off
# stays in plaintext and those error tests do not depend on certificate handling.
${smtpd(p.smtpPlain, 'plain', 'smtpd_tls_security_level=none', 'smtpd_tls_auth_only=no')}
${smtpd(p.smtpStarttls, 'submission', 'smtpd_tls_security_level=encrypt')}
${smtpd(p.smtpTls, 'submissions', 'smtpd_tls_wrappermode=yes', 'smtpd_tls_security_level=encrypt')}
${smtpd(p.smtpRejecting, 'rejecting', 'smtpd_tls_security_level=none', 'smtpd_tls_auth_only=no', 'cleanup_service_name=cleanup_reject')}
# One message per anvil_rate_time_unit (60 s): the second MAIL FROM gets "450 4.7.1 too much mail".
${smtpd(p.smtpRate, 'ratelimited', 'smtpd_tls_security_level=none', 'smtpd_tls_auth_only=no', 'smtpd_client_message_rate_limit=1')}
cleanup   unix  n - n - 0 cleanup
cleanup_reject unix n - n - 0 cleanup
  -o header_checks=$mailstack_reject_all
qmgr      unix  n - n 300 1 qmgr
tlsmgr    unix  - - n 1000? 1 tlsmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
proxywrite unix - - n - 1 proxymap
showq     unix  n - n - - showq
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
lmtp      unix  - - n - - lmtp
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
`;
  await writeFile(path.join(d, 'master.cf'), master);
  // Postfix naps in 300 ms steps until a config file looks settled (mtime a couple of seconds old);
  // backdating them saves about two seconds per start.
  const past = new Date(Date.now() - 60_000);
  for (const f of ['main.cf', 'master.cf', 'vmailbox', 'transport', 'deferred_recipients', 'dmarc_recipients']) await utimes(path.join(d, f), past, past);
  // set-permissions creates the queue's subfolders with the owners postfix expects, but wants the
  // top folders to exist first.
  await mkdir(l.postfixQueue, { recursive: true });
  await mkdir(l.postfixData, { recursive: true });
  await run('postfix', ['-c', d, 'set-permissions']);
}

// A stack from an earlier run in the same dir (e.g. a killed CLI) still holds its pid files.
async function stopLeftovers(l: Layout): Promise<void> {
  // Postfix first: Dovecot's shutdown waits seconds for auth clients that Postfix still holds open.
  for (const file of [path.join(l.postfixQueue, 'pid', 'master.pid'), path.join(l.dovecotDir, 'run', 'master.pid')]) {
    const pid = readPid(file);
    if (pid && isAlive(pid)) {
      signal(pid, 'SIGTERM');
      await waitForExit(pid);
    }
  }
  const cyrus = readCyrusPid(l.cyrusDir);
  if (cyrus) await stopMaster(cyrus);
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

async function waitForPid(file: string, timeoutMs = 10_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pid = readPid(file);
    if (pid && isAlive(pid)) return pid;
    if (Date.now() > deadline) throw new Error(`no live pid in ${file}`);
    await sleep(20);
  }
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

// Both masters end up parented to PID 1, which may reap them late; a zombie counts as gone.
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    // no /proc entry: either gone, or a system without /proc
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitForExit(pid: number | undefined, timeoutMs = 10_000): Promise<void> {
  if (!pid) return;
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) {
      // Both masters lead their own process group, so this also takes their children.
      signal(-pid, 'SIGKILL');
      return;
    }
    await sleep(50);
  }
}

// Accepts connections and never answers: the app's greeting/connect timeouts are tested against it.
async function startSilentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, resolve);
  });
  server.unref();
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function restartedDovecotPidFile(l: Layout): string {
  return path.join(l.dir, 'dovecot.restarted.pid');
}

/**
 * Stops Dovecot (SIGTERM to its master, which drops every IMAP session) and starts it again from
 * the same config, as a server restart does. The new master's pid is recorded so the stack's
 * stop() ends it too.
 */
export async function restartDovecot(stack: MailStackInfo, opts: { downMs?: number } = {}): Promise<void> {
  const l = layout(stack.dir);
  const pidFile = path.join(l.dovecotDir, 'run', 'master.pid');
  const pid = readPid(pidFile);
  if (pid && isAlive(pid)) {
    signal(pid, 'SIGTERM');
    await waitForExit(pid);
  }
  if (opts.downMs) await sleep(opts.downMs);
  await runDaemon('dovecot', ['-c', l.dovecotConf], path.join(stack.dir, 'dovecot.restart.out'));
  const started = await waitForPid(pidFile);
  await writeFile(restartedDovecotPidFile(l), `${started}\n`);
  await waitForGreetings(
    [stack.imap.plain, stack.imap.implicitTls, stack.lmtp].map((port) => ({ port, tls: port === stack.imap.implicitTls })),
    stack.certPem,
  );
  // Postfix's smtpd processes keep their SASL connection to the old Dovecot and would answer the
  // next login with "454 Connection lost to authentication server"; a reload replaces them.
  await run('postfix', ['-c', l.postfixDir, 'reload']);
}

async function writeDeferredRecipients(postfixDir: string, addresses: readonly string[]): Promise<void> {
  const lines = addresses.map((address) => `${address} 450 4.2.0 Mailbox temporarily unavailable, try again later\n`);
  await writeFile(path.join(postfixDir, 'deferred_recipients'), lines.join(''));
}

/**
 * Which addresses Postfix defers at RCPT TO, besides DEFERRED_RECIPIENT (always deferred): a reload
 * makes new SMTP sessions see the list. For a deferral that ends, as greylisting does.
 */
export async function deferRecipients(stack: MailStackInfo, addresses: readonly string[]): Promise<void> {
  const l = layout(stack.dir);
  await writeDeferredRecipients(l.postfixDir, [DEFERRED_RECIPIENT, ...addresses]);
  await run('postfix', ['-c', l.postfixDir, 'reload']);
}

function restartedPostfixPidFile(l: Layout): string {
  return path.join(l.dir, 'postfix.restarted.pid');
}

/** Stops Postfix (every SMTP port then refuses connections), as a mail server outage does. */
export async function stopPostfix(stack: MailStackInfo): Promise<void> {
  const l = layout(stack.dir);
  const pid = readPid(path.join(l.postfixQueue, 'pid', 'master.pid'));
  if (!pid || !isAlive(pid)) return;
  await run('postfix', ['-c', l.postfixDir, 'stop']).catch(() => signal(pid, 'SIGTERM'));
  await waitForExit(pid);
}

/**
 * Starts Postfix again after stopPostfix(), from the same config and queue. The new master's pid
 * is recorded so the stack's stop() ends it too.
 */
export async function startPostfix(stack: MailStackInfo): Promise<void> {
  const l = layout(stack.dir);
  const pidFile = path.join(l.postfixQueue, 'pid', 'master.pid');
  const running = readPid(pidFile);
  if (running && isAlive(running)) return;
  await runDaemon('postfix', ['-c', l.postfixDir, 'start'], path.join(stack.dir, 'postfix.restart.out'));
  const started = await waitForPid(pidFile);
  await writeFile(restartedPostfixPidFile(l), `${started}\n`);
  const s = stack.smtp;
  await waitForGreetings(
    [s.plain, s.starttls, s.implicitTls, s.rejecting, s.rateLimited].map((port) => ({ port, tls: port === s.implicitTls })),
    stack.certPem,
  );
}

function userFor(stack: MailStackInfo, address: string): MailUser {
  const u = Object.values(stack.users).find((x) => x.address === address.toLowerCase());
  if (!u) throw new Error(`${address} is not a user of the mail stack`);
  return u;
}

// Submits through Postfix like a real client would, so messages arrive with real Received headers.
export async function deliver(
  stack: MailStackInfo,
  msg: {
    from: string;
    to: string | string[];
    subject: string;
    text?: string;
    html?: string;
    headers?: Record<string, string>;
    attachments?: { filename: string; content: Buffer; contentType?: string }[];
  },
): Promise<void> {
  const sender = userFor(stack, msg.from);
  const transport = nodemailer.createTransport({
    host: stack.host,
    port: stack.smtp.starttls,
    secure: false,
    requireTLS: true,
    auth: { user: sender.user, pass: sender.password },
    tls: { ca: stack.certPem },
  });
  try {
    await transport.sendMail({
      from: msg.from,
      to: msg.to,
      subject: msg.subject,
      text: msg.text,
      html: msg.html,
      headers: msg.headers,
      attachments: msg.attachments,
    });
  } finally {
    transport.close();
  }
}

export function imapClient(stack: MailStackInfo, user: MailUser): ImapFlow {
  const client = new ImapFlow({
    host: stack.host,
    port: stack.imap.implicitTls,
    secure: true,
    tls: { ca: stack.certPem },
    auth: { user: user.user, pass: user.password },
    logger: false,
  });
  // Without a listener, an 'error' event (e.g. the server going away) kills the process.
  client.on('error', () => undefined);
  return client;
}

/** Runs `fn` in a logged-in IMAP session of `user`, and logs out afterwards whatever happened. */
export async function withImapSession<T>(stack: MailStackInfo, user: MailUser, fn: (client: ImapFlow) => Promise<T>): Promise<T> {
  const client = imapClient(stack, user);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.logout().catch(() => client.close());
  }
}

// Delivery is asynchronous (Postfix queue, then LMTP), so tests wait for the count they expect.
export async function waitForMessages(stack: MailStackInfo, user: MailUser | string, mailbox: string, count: number, timeoutMs = 15_000): Promise<number> {
  const u = typeof user === 'string' ? userFor(stack, user) : user;
  const deadline = Date.now() + timeoutMs;
  return withImapSession(stack, u, async (client) => {
    for (;;) {
      const status = await client.status(mailbox, { messages: true });
      const n = status ? (status.messages ?? 0) : 0;
      if (n >= count) return n;
      if (Date.now() > deadline) {
        throw new Error(`${u.address} ${mailbox} has ${n} messages, expected ${count} within ${timeoutMs} ms`);
      }
      await sleep(100);
    }
  });
}
