import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCore } from '../core/create-core';
import { dataDirArgument, defaultDataDir } from '../core/data-dir';
import { startWebHost } from './server';

/** `npm run web [-- --port N] [--data-dir DIR]`: the app in a browser, for development and end-to-end tests. */

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function portArgument(argv: readonly string[]): number {
  const index = argv.findIndex((arg) => arg === '--port' || arg.startsWith('--port='));
  if (index === -1) return 0;
  const raw = argv[index]!.includes('=') ? argv[index]!.split('=')[1] : argv[index + 1];
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`--port must be a whole number from 0 to 65535 (0 picks a free port), not "${raw}"`);
    process.exit(2);
  }
  return port;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const dataDir = resolve(dataDirArgument(argv) ?? defaultDataDir());
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  const core = createCore({ dataDir, version, keychainService: process.env.AUXILIUM_KEYCHAIN_SERVICE });
  await core.start();
  const host = await startWebHost({ core, rendererDir: join(root, 'out/renderer'), port: portArgument(argv) });
  // Only the person who started the host sees the key: it opens the app in their browser.
  console.log(`Auxilium is running at ${host.openUrl}`);

  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    await host.close();
    await core.stop();
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
