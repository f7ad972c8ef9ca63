import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/**
 * TCP sockets this process holds open to a port on the peer side, read from /proc (Linux only).
 * A closed socket no longer appears in /proc/self/fd, whatever state its TCP connection is left in.
 */
export function openSocketsTo(port: number): number {
  const mine = new Set<string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      const m = /^socket:\[(\d+)\]$/.exec(target);
      if (m) mine.add(m[1]!);
    } catch {
      // the fd closed while listing
    }
  }
  let count = 0;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10) continue;
      const remotePort = parseInt(cols[2]!.split(':')[1]!, 16);
      const inode = cols[9]!;
      if (remotePort === port && mine.has(inode)) count += 1;
    }
  }
  return count;
}
