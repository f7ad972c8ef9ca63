// A real Cyrus IMAP server (Debian's 3.6 build, as large hosted providers run) on loopback high
// ports, from a directory it owns. Debian's cyrus-imapd package conflicts with dovecot-imapd, so it
// is never installed: its two packages are fetched with `apt-get download` and unpacked into
// .cache/cyrus/ of the repository the first time a test needs them. The libraries they link
// against do not conflict with anything; scripts/test-all.sh installs them.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, chown, copyFile, mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

const CACHE = fileURLToPath(new URL('../../.cache/cyrus', import.meta.url));
const BIN = path.join(CACHE, 'usr/lib/cyrus/bin');
const LIB = path.join(CACHE, 'usr/lib/x86_64-linux-gnu');
const PACKAGES = ['cyrus-common', 'cyrus-imapd'];

/** Cyrus drops root for this user; Debian's own "cyrus" user only exists when the package is installed. */
const RUN_AS = 'nobody';

export interface CyrusUser {
  user: string;
  password: string;
}

export interface CyrusOptions {
  dir: string;
  host: string;
  certFile: string;
  keyFile: string;
  users: CyrusUser[];
  ports: { imapPlain: number; imapTls: number; lmtp: number };
  /**
   * idled tells IMAP sessions in IDLE about new mail at once. Without it, Cyrus looks for new mail
   * in an IDLE session only every `idlePollSeconds` (imapidlepoll, 60 s by default): a server that
   * in effect does not push.
   */
  idled: boolean;
  idlePollSeconds?: number;
  /** Without: users get Drafts, Trash and Junk but no Sent folder, as some servers set up accounts. */
  sentFolder?: boolean;
}

export interface CyrusServer {
  pid: number;
  stop(): Promise<void>;
}

/** Unpacks Debian's Cyrus packages into .cache/cyrus/ unless they are there already. */
export async function ensureCyrusBinaries(): Promise<void> {
  if (existsSync(path.join(BIN, 'master'))) return;
  await mkdir(path.dirname(CACHE), { recursive: true });
  // Unpacked beside the cache and renamed into place: two test runs starting at once never see a half-unpacked tree.
  const work = await mkdtemp(`${CACHE}.partial-`);
  try {
    await execFileAsync('apt-get', ['download', ...PACKAGES], { cwd: work, timeout: 300_000 });
    const debs = (await readdir(work)).filter((f) => f.endsWith('.deb'));
    if (debs.length !== PACKAGES.length) throw new Error(`apt-get download gave ${debs.join(', ') || 'nothing'}`);
    const tree = path.join(work, 'tree');
    for (const deb of debs) await execFileAsync('dpkg-deb', ['-x', path.join(work, deb), tree]);
    await rename(tree, CACHE).catch((err: NodeJS.ErrnoException) => {
      if (!existsSync(path.join(BIN, 'master'))) throw err;
    });
  } catch (err) {
    throw new Error(
      `Cyrus IMAP could not be fetched into ${CACHE}: ${(err as Error).message}\n` +
        'It needs `apt-get download cyrus-common cyrus-imapd` to work (scripts/test-all.sh installs the libraries they need).',
      { cause: err },
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

function ids(user: string): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${user}:`));
  if (!line) throw new Error(`no user ${user}`);
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

export async function startCyrus(o: CyrusOptions): Promise<CyrusServer> {
  await ensureCyrusBinaries();
  const owner = ids(RUN_AS);
  const dir = path.resolve(o.dir);
  await rm(dir, { recursive: true, force: true });
  // conf/socket/ holds idled's socket and each imapd's own (named after its pid, always there).
  for (const sub of ['conf/socket', 'spool', 'tls']) await mkdir(path.join(dir, sub), { recursive: true });
  const conf = path.join(dir, 'imapd.conf');
  const sasldb = path.join(dir, 'sasldb2');
  // The IMAP processes read the key after dropping root.
  const cert = path.join(dir, 'tls', 'cert.pem');
  const key = path.join(dir, 'tls', 'key.pem');
  await copyFile(o.certFile, cert);
  await copyFile(o.keyFile, key);
  await chmod(key, 0o600);

  // Users live in an sasldb of this server's own, checked by Cyrus itself (auxprop): a real
  // password check, with no saslauthd and nothing of the machine's accounts.
  for (const u of o.users) {
    const [local, domain] = u.user.split('@');
    const args = ['-f', sasldb, '-p', '-c', ...(domain ? ['-u', domain] : []), local!];
    await new Promise<void>((resolve, reject) => {
      const child = execFile('saslpasswd2', args, (err) => (err ? reject(err) : resolve()));
      child.stdin?.end(u.password);
    });
  }

  const folders = [...(o.sentFolder === false ? [] : ['Sent']), 'Drafts', 'Trash', 'Junk'].join(' | ');
  await writeFile(
    conf,
    `# Generated by test/mailstack/cyrus.ts for a throwaway test server.
configdirectory: ${dir}/conf
partition-default: ${dir}/spool
cyrus_user: ${RUN_AS}
servername: localhost
sasl_pwcheck_method: auxprop
sasl_auxprop_plugin: sasldb
sasl_sasldb_path: ${sasldb}
sasl_mech_list: PLAIN LOGIN
# The "TLS off" case needs a plaintext LOGIN on the plain port; STARTTLS is offered there too.
allowplaintext: yes
# Folders are INBOX.Sent, INBOX.Drafts: the traditional Cyrus namespace, '.' as separator.
altnamespace: no
unixhierarchysep: no
# user@domain logins, each domain its own tree.
virtdomains: userid
# A user's folders appear on first login, Sent marked \\Sent (RFC 6154).
autocreate_quota: 0
autocreate_post: 1
autocreate_inbox_folders: ${folders}
autocreate_subscribe_folders: ${folders}
xlist-sent: Sent
xlist-drafts: Drafts
xlist-trash: Trash
xlist-junk: Junk
imapidlepoll: ${o.idlePollSeconds ?? 60}
# Spool folders named after the mailboxes. With the default (folders named by a mailbox id), two
# users whose INBOXes this Cyrus created in the same second shared one folder: each saw the other's
# mail (mailstack.integration.test.ts has the case).
mailbox_legacy_dirs: yes
tls_server_cert: ${cert}
tls_server_key: ${key}
`,
  );
  const bin = (name: string, ...args: string[]): string => `"${path.join(BIN, name)} -C ${conf}${args.map((a) => ` ${a}`).join('')}"`;
  const listen = (port: number): string => `"${o.host}:${port}"`;
  await writeFile(
    path.join(dir, 'cyrus.conf'),
    `# Generated by test/mailstack/cyrus.ts for a throwaway test server.
START {
  recover cmd=${bin('ctl_cyrusdb', '-r')}
}
SERVICES {
  imap cmd=${bin('imapd')} listen=${listen(o.ports.imapPlain)} prefork=0
  imaps cmd=${bin('imapd', '-s')} listen=${listen(o.ports.imapTls)} prefork=0
  # -a: the client (Postfix, or a test) is trusted to deliver without logging in.
  lmtp cmd=${bin('lmtpd', '-a')} listen=${listen(o.ports.lmtp)} prefork=0
}
DAEMON {
${o.idled ? `  idled cmd=${bin('idled')}\n` : ''}}
EVENTS {
}
`,
  );
  await chown(dir, owner.uid, owner.gid);
  await execFileAsync('chown', ['-R', `${owner.uid}:${owner.gid}`, dir]);
  await chmod(dir, 0o755);

  const pidFile = path.join(dir, 'master.pid');
  await execFileAsync(path.join(BIN, 'master'), ['-C', conf, '-M', path.join(dir, 'cyrus.conf'), '-p', pidFile, '-d'], {
    env: { ...process.env, LD_LIBRARY_PATH: LIB },
    timeout: 30_000,
  });
  const pid = await waitForPid(pidFile);
  let stopped: Promise<void> | undefined;
  return {
    pid,
    stop: () => (stopped ??= stopMaster(pid)),
  };
}

/** The master takes its services (imapd, lmtpd, idled) with it on SIGTERM; a group kill if it hangs. */
export async function stopMaster(pid: number): Promise<void> {
  signal(pid, 'SIGTERM');
  const deadline = Date.now() + 10_000;
  while (alive(pid)) {
    if (Date.now() > deadline) {
      signal(-pid, 'SIGKILL');
      signal(pid, 'SIGKILL');
      return;
    }
    await sleep(50);
  }
}

export function readCyrusPid(dir: string): number | undefined {
  try {
    const pid = Number(readFileSync(path.join(dir, 'master.pid'), 'utf8').trim());
    return pid > 0 && alive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

async function waitForPid(file: string): Promise<number> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const pid = readCyrusPid(path.dirname(file));
    if (pid) return pid;
    if (Date.now() > deadline) throw new Error(`Cyrus master did not start (no live pid in ${file})`);
    await sleep(20);
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
