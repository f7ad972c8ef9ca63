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

interface HostOptions {
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

function uniqueKeychainService(): string {
  return `auxilium-e2e-${randomBytes(6).toString('hex')}`;
}

async function makeDataDir(): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'auxilium-e2e-data-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** `node --import tsx electron/web/cli.ts --port 0 --data-dir DIR`; resolves once it prints its URL. */
async function startHost(options: HostOptions, timeoutMs = 60_000): Promise<RunningHost> {
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

async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

export async function openApp(browser: Browser, url: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(url);
  return { context, page };
}

/**
 * One app under test: a web host on a data folder of its own, with a keychain service name of its
 * own, and a Chromium to drive it. `close()` stops all of it and removes the folder.
 */
export class TestApp {
  private constructor(
    readonly dataDir: string,
    readonly keychainService: string,
    public host: RunningHost,
    readonly browser: Browser,
    private readonly removeData: () => Promise<void>,
  ) {}

  /** `beforeStart` may put data in place first, with the app's own core on the same folder. */
  static async start(options: { beforeStart?: (dataDir: string, keychainService: string) => Promise<void> } = {}): Promise<TestApp> {
    const data = await makeDataDir();
    const keychainService = uniqueKeychainService();
    try {
      await options.beforeStart?.(data.dir, keychainService);
      const host = await startHost({ dataDir: data.dir, keychainService });
      const browser = await launchBrowser().catch(async (error: unknown) => {
        await host.stop();
        throw error;
      });
      return new TestApp(data.dir, keychainService, host, browser, data.remove);
    } catch (error) {
      await data.remove();
      throw error;
    }
  }

  /** Quits the app and starts it again on the same data and keychain; `page` reopens where it was. */
  async restart(page?: Page): Promise<void> {
    const where = page ? new URL(page.url()).hash : '';
    await this.host.stop();
    this.host = await startHost({ dataDir: this.dataDir, keychainService: this.keychainService });
    if (page) await page.goto(`${this.host.url}${where}`);
  }

  async close(): Promise<void> {
    await this.browser.close();
    await this.host.stop();
    await this.removeData();
  }
}
