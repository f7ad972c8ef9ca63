import { execFile } from 'node:child_process';
import { existsSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'electron-vite';
import { afterAll, expect, it } from 'vitest';
import { tempDir } from '../../test/support/temp';

// Workers are found differently in the source tree and in the bundle (see worker-location.ts); the
// other tests cover the source tree, this one builds main the way the app is built and runs both
// workers from the result, in a plain Node process.

const projectRoot = fileURLToPath(new URL('../../', import.meta.url));
const dir = tempDir('auxilium-worker-build-');

afterAll(() => dir.remove());

it('ships the parser and checkpoint workers in the built main bundle', async () => {
  const outDir = join(dir.path, 'out/main');
  // What the packaged app has around out/main: ESM and the production dependencies. The link
  // also lets the config below resolve the packages the project's config imports.
  writeFileSync(join(dir.path, 'package.json'), '{ "type": "module" }');
  symlinkSync(join(projectRoot, 'node_modules'), join(dir.path, 'node_modules'), 'dir');
  // The project's own main config, with the two services as the entry (the app's entry needs Electron).
  const entry = join(dir.path, 'entry.ts');
  writeFileSync(
    entry,
    `export { MailParserPool } from ${JSON.stringify(join(projectRoot, 'electron/services/ingest/parse/index.ts'))};
     export { WalCheckpointer } from ${JSON.stringify(join(projectRoot, 'electron/services/store/checkpointer.ts'))};
     export { openDatabase } from ${JSON.stringify(join(projectRoot, 'electron/services/store/database.ts'))};`,
  );
  const configFile = join(dir.path, 'electron.vite.config.mjs');
  writeFileSync(
    configFile,
    `import base from ${JSON.stringify(join(projectRoot, 'electron.vite.config.ts'))};
     export default { main: { ...base.main, build: { ...base.main.build, outDir: ${JSON.stringify(outDir)},
       rollupOptions: { input: { index: ${JSON.stringify(entry)} } } } } };`,
  );
  await build({ configFile, root: projectRoot, logLevel: 'silent' });
  const chunks = readdirSync(join(outDir, 'chunks'));
  expect(chunks.some((name) => name.startsWith('parse-worker'))).toBe(true);
  expect(chunks.some((name) => name.startsWith('checkpoint-worker'))).toBe(true);

  const script = join(dir.path, 'check.mjs');
  writeFileSync(
    script,
    `import { MailParserPool, WalCheckpointer, openDatabase } from './out/main/index.js';
     const pool = new MailParserPool({ attachmentsDir: ${JSON.stringify(join(dir.path, 'attachments'))} });
     const result = await pool.parse(Buffer.from('Subject: =?UTF-8?Q?gr=C3=BC=C3=9Fe?=\\r\\n\\r\\nbuilt\\r\\n'));
     await pool.close();
     const file = ${JSON.stringify(join(dir.path, 'auxilium.sqlite'))};
     const db = openDatabase(file, { migrations: [] });
     const checkpointer = new WalCheckpointer(db, { file });
     await checkpointer.start();
     const checkpointing = checkpointer.running && db.pragma('wal_autocheckpoint', { simple: true }) === 0;
     await checkpointer.stop();
     db.close();
     console.log(JSON.stringify({ result, checkpointing }));`,
  );
  const { stdout } = await promisify(execFile)(process.execPath, [script], { cwd: dir.path, timeout: 30_000 }).catch((error: Error & { stderr?: string }) => {
    throw new Error(`${error.message}\n${error.stderr ?? ''}`);
  });
  expect(JSON.parse(stdout)).toMatchObject({ result: { ok: true, message: { subject: 'grüße', text: 'built\n' } }, checkpointing: true });
  expect(existsSync(join(dir.path, 'attachments'))).toBe(true);
}, 60_000);
