import { join } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The house rules of DESIGN.md section 1 live in eslint.config.js and run on every import with
// `npm run lint`. These tests plant a violation in a file of the tree (in memory, nothing is
// written) and check that the linter refuses it, so losing or loosening a rule fails here.
const root = join(import.meta.dirname, '..');
const eslint = new ESLint({ cwd: root });

async function problems(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(root, filePath) });
  return result!.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

describe('layering rules', () => {
  it('refuses a service importing core, which composes the services', async () => {
    const found = await problems(
      'electron/services/store/planted.ts',
      "import { createCore } from '../../core/create-core';\nexport const planted = createCore;\n",
    );
    expect(found).toEqual([expect.stringMatching(/^import-x\/no-restricted-paths: .*services\/store may import only the services below it/)]);
  });

  it('refuses a lower service importing a higher one, types and dynamic imports included', async () => {
    const found = await problems(
      'electron/services/store/planted.ts',
      "import type { OutboxService } from '../smtp/outbox';\nexport type Planted = OutboxService;\nexport const later = () => import('../imap/watcher');\n",
    );
    expect(found).toHaveLength(2);
    expect(found.every((p) => p.startsWith('import-x/no-restricted-paths:'))).toBe(true);
  });

  it('lets a higher service import a lower one', async () => {
    expect(
      await problems('electron/services/smtp/planted.ts', "import { MailStore } from '../store/mail-store';\nexport const planted = MailStore;\n"),
    ).toEqual([]);
  });

  it('refuses an import cycle inside a folder', async () => {
    // mail-store.ts imports json-column.ts; json-column importing mail-store back closes a cycle.
    const found = await problems('electron/services/store/json-column.ts', "import { MailStore } from './mail-store';\nexport const planted = MailStore;\n");
    expect(found).toEqual(['import-x/no-cycle: Dependency cycle detected']);
  });

  it('keeps Electron in the shell and the preload script', async () => {
    const code = "import { app } from 'electron';\nexport const planted = app;\n";
    for (const file of ['electron/services/imap/planted.ts', 'electron/core/planted.ts', 'electron/web/planted.ts', 'renderer/src/planted.ts']) {
      expect(await problems(file, code), file).toEqual([expect.stringMatching(/^no-restricted-imports: 'electron' import is restricted/)]);
    }
    expect(await problems('electron/main/planted.ts', code)).toEqual([]);
  });

  it('lets the window policy import Electron for its types only', async () => {
    expect(await problems('electron/main/policy.ts', "import { BrowserWindow } from 'electron';\nexport const planted = BrowserWindow;\n")).toEqual([
      expect.stringMatching(/^@typescript-eslint\/no-restricted-imports: /),
    ]);
    expect(await problems('electron/main/policy.ts', "import type { BrowserWindow } from 'electron';\nexport type Planted = BrowserWindow;\n")).toEqual([]);
  });

  it('lets shared/ import only zod and its own files', async () => {
    expect(await problems('shared/planted.ts', "import { readFileSync } from 'node:fs';\nexport const planted = readFileSync;\n")).toEqual([
      expect.stringMatching(/^no-restricted-imports: .*shared\/ imports only zod/),
    ]);
    expect(
      await problems('shared/planted.ts', "import { createLogger } from '../electron/services/logging/logger';\nexport const planted = createLogger;\n"),
    ).toEqual([expect.stringMatching(/^no-restricted-imports: /), expect.stringMatching(/^import-x\/no-restricted-paths: .*shared\/ is the contract/)]);
    expect(
      await problems('shared/planted.ts', "import { z } from 'zod';\nimport { hostSchema } from './channel';\nexport const planted = [z, hostSchema];\n"),
    ).toEqual([]);
  });

  it('keeps the renderer off the main side', async () => {
    expect(await problems('renderer/src/planted.ts', "import type { Core } from '../../electron/core/create-core';\nexport type Planted = Core;\n")).toEqual([
      expect.stringMatching(/^import-x\/no-restricted-paths: .*renderer reaches the main side only through/),
    ]);
  });

  it('sends every IMAP APPEND through appendMessage(), which gives the message CRLF line ends', async () => {
    const code = "import type { ImapFlow } from 'imapflow';\nexport const planted = (c: ImapFlow) => c.append('INBOX', 'x');\n";
    expect(await problems('electron/services/team/planted.ts', code)).toEqual([
      expect.stringMatching(/^no-restricted-syntax: IMAP APPEND goes through appendMessage\(\)/),
    ]);
  });

  it('sends every IMAP SEARCH through searchUids(), which makes a refused search an error', async () => {
    const code = "import type { ImapFlow } from 'imapflow';\nexport const planted = (c: ImapFlow) => c.search({ seen: false }, { uid: true });\n";
    expect(await problems('electron/services/smtp/planted.ts', code)).toEqual([
      expect.stringMatching(/^no-restricted-syntax: IMAP SEARCH goes through searchUids\(\)/),
    ]);
    expect(await problems('electron/services/smtp/planted.ts', 'export const planted = (text: string) => text.search(/\\n\\n/);\n')).toEqual([]);
  });
});
