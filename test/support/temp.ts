import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh temporary folder, removed by the returned cleanup. */
export function tempDir(prefix = 'auxilium-'): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** A keychain service name of its own per test, so tests never see each other's (or a user's) entries. */
export function testKeychainService(): string {
  return `auxilium-test-${process.pid}-${Math.random().toString(36).slice(2)}`;
}
