import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

// The house rules of DESIGN.md section 1, checked on every import in the tree.
const root = join(import.meta.dirname, '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    // Tests may import their runner; the rules are about the app's own code.
    return /\.(ts|tsx)$/.test(name) && !/\.test\.ts$/.test(name) ? [path] : [];
  });
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1] ?? m[2]!);
}

function violations(dir: string, allowed: (specifier: string, file: string) => boolean): string[] {
  return sourceFiles(join(root, dir)).flatMap((file) =>
    imports(file)
      .filter((specifier) => !allowed(specifier, file))
      .map((specifier) => `${relative(root, file)} imports ${specifier}`),
  );
}

describe('module boundaries', () => {
  it('shared/ imports only zod and itself', () => {
    expect(violations('shared', (s) => s === 'zod' || (s.startsWith('./') && !s.includes('..')))).toEqual([]);
  });

  it('renderer/ never imports the main side or Electron', () => {
    expect(violations('renderer/src', (s) => s !== 'electron' && !s.includes('/electron/'))).toEqual([]);
  });

  it('services, core and the web host never import Electron', () => {
    for (const dir of ['electron/services', 'electron/core', 'electron/web']) {
      expect(violations(dir, (s) => s !== 'electron' && !s.startsWith('electron/'))).toEqual([]);
    }
  });

  it('only the shell imports its own policy, and the policy imports Electron for types only', () => {
    const policy = readFileSync(join(root, 'electron/main/policy.ts'), 'utf8');
    expect(policy).toMatch(/import type \{[^}]*\} from 'electron'/);
    expect(policy).not.toMatch(/^import \{[^}]*\} from 'electron'/m);
  });

  it('every IMAP APPEND goes through appendMessage(), which gives the message CRLF line ends', () => {
    const direct = sourceFiles(join(root, 'electron'))
      .filter((file) => !file.endsWith(join('imap', 'append.ts')))
      .filter((file) => /\.append\(/.test(readFileSync(file, 'utf8')))
      .map((file) => relative(root, file));
    expect(direct).toEqual([]);
  });
});
