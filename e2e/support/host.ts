import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/**
 * Starts the web host (`electron/web/cli.ts`) as its own process, the way `npm run web` does, and a
 * headless Debian Chromium to drive it. The host serves `out/renderer`; it is built once if missing
 * (the test command builds first, so normally it is already there).
 */

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export function ensureRendererBuilt(): void {
  if (existsSync(path.join(ROOT, 'out/renderer/index.html'))) return;
  const build = spawnSync('npx', ['electron-vite', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('`npx electron-vite build` failed; the web host has no renderer to serve.');
}

export interface HostOptions {
  dataDir: string;
  /** Keychain service name; a unique one per test run keeps real keychain entries out of reach. */
  keychainService: string;
}

export interface RunningHost {
  url: string;
  /** Everything the host printed, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

export function uniqueKeychainService(): string {
  return `auxilium-e2e-${randomBytes(6).toString('hex')}`;
}

export async function makeDataDir(): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'auxilium-e2e-data-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** `node --import tsx electron/web/cli.ts --port 0 --data-dir DIR`; resolves once it prints its URL. */
export async function startHost(options: HostOptions, timeoutMs = 60_000): Promise<RunningHost> {
  ensureRendererBuilt();
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(ROOT, 'electron/web/cli.ts'), '--port', '0', '--data-dir', options.dataDir],
    {
      cwd: ROOT,
      env: { ...process.env, AUXILIUM_KEYCHAIN_SERVICE: options.keychainService },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the web host did not start within ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const check = () => {
      const match = /Auxilium is running at (\S+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the web host exited with code ${code} before it was ready:\n${output}`));
    });
  });

  return {
    url,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

export async function openApp(browser: Browser, url: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(url);
  return { context, page };
}
