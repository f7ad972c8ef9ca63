import { chmodSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { PRIVATE_DIR_MODE } from '../services/file-modes';

export const APP_FOLDER_NAME = 'Auxilium Desktop';

/**
 * Where data lives when neither --data-dir nor AUXILIUM_DATA_DIR says otherwise: the same folder
 * Electron's app.getPath('userData') gives, so the web host and the desktop app share one store.
 */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.AUXILIUM_DATA_DIR) return env.AUXILIUM_DATA_DIR;
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), APP_FOLDER_NAME);
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', APP_FOLDER_NAME);
  return join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), APP_FOLDER_NAME);
}

/** `--data-dir X` or `--data-dir=X` from a command line, if present. */
export function dataDirArgument(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--data-dir') return argv[i + 1];
    if (arg.startsWith('--data-dir=')) return arg.slice('--data-dir='.length);
  }
  return undefined;
}

/**
 * Creates the data folder for this user alone, and tightens one an earlier version (or another
 * program) left readable by others: nothing inside is reachable through a folder only its owner can open.
 */
export function preparePrivateFolder(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  chmodSync(dir, PRIVATE_DIR_MODE);
}
