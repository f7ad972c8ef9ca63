import { execFile } from 'node:child_process';
import { existsSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'electron-vite';
import { afterAll, expect, it } from 'vitest';
import { tempDir } from '../../../../test/support/temp';

// The worker is found differently in the source tree and in the bundle (see workerLocation in
// index.ts); the other tests cover the source tree, this one builds main the way the app is
// built and parses a message with the result, in a plain Node process.

const projectRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const dir = tempDir('auxilium-parse-build-');

afterAll(() => dir.remove());

it('ships the parse worker in the built main bundle', async () => {
  const outDir = join(dir.path, 'out/main');
  // What the packaged app has around out/main: ESM and the production dependencies. The link
  // also lets the config below resolve the packages the project's config imports.
  writeFileSync(join(dir.path, 'package.json'), '{ "type": "module" }');
  symlinkSync(join(projectRoot, 'node_modules'), join(dir.path, 'node_modules'), 'dir');
  // The project's own main config, with this module as the entry (the app's entry may not use it yet).
  const configFile = join(dir.path, 'electron.vite.config.mjs');
  writeFileSync(
    configFile,
    `import base from ${JSON.stringify(join(projectRoot, 'electron.vite.config.ts'))};
     export default { main: { ...base.main, build: { ...base.main.build, outDir: ${JSON.stringify(outDir)},
       rollupOptions: { input: { index: ${JSON.stringify(fileURLToPath(new URL('./index.ts', import.meta.url)))} } } } } };`,
  );
  await build({ configFile, root: projectRoot, logLevel: 'silent' });
  expect(readdirSync(join(outDir, 'chunks')).some((name) => name.startsWith('parse-worker'))).toBe(true);

  const script = join(dir.path, 'check.mjs');
  writeFileSync(
    script,
    `import { MailParserPool } from './out/main/index.js';
     const pool = new MailParserPool({ attachmentsDir: ${JSON.stringify(join(dir.path, 'attachments'))} });
     const result = await pool.parse(Buffer.from('Subject: =?UTF-8?Q?gr=C3=BC=C3=9Fe?=\\r\\n\\r\\nbuilt\\r\\n'));
     await pool.close();
     console.log(JSON.stringify(result));`,
  );
  const { stdout } = await promisify(execFile)(process.execPath, [script], { cwd: dir.path, timeout: 30_000 });
  expect(JSON.parse(stdout)).toMatchObject({ ok: true, message: { subject: 'grüße', text: 'built\n' } });
  expect(existsSync(join(dir.path, 'attachments'))).toBe(true);
}, 60_000);
