// @ts-check
// Builds better-sqlite3 for Electron's ABI into .electron-native/, beside (not instead of) the Node
// build in node_modules that the tests use. The app loads it through better-sqlite3's nativeBinding
// option, so `npm test` and `npm start` both work from one checkout without rebuilding back and forth.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const root = new URL('..', import.meta.url).pathname;
const outDir = join(root, '.electron-native');
const target = join(outDir, 'better_sqlite3.node');
const stampFile = join(outDir, 'stamp.json');

const electronVersion = require('electron/package.json').version;
const sqliteVersion = require('better-sqlite3/package.json').version;
const stamp = JSON.stringify({ electronVersion, sqliteVersion, platform: process.platform, arch: process.arch });

if (existsSync(target) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) process.exit(0);

// npm tells scripts where its bundled node-gyp is; fall back to one on the PATH.
const nodeGyp = process.env.npm_config_node_gyp;
const [command, prefix] = nodeGyp ? [process.execPath, [nodeGyp]] : ['node-gyp', []];

const work = join(outDir, 'build-better-sqlite3');
rmSync(work, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
cpSync(join(root, 'node_modules/better-sqlite3'), work, { recursive: true, filter: (src) => !src.includes(`${'/'}build${'/'}`) });
console.log(`Building better-sqlite3 ${sqliteVersion} for Electron ${electronVersion} (once)…`);
execFileSync(command, [...prefix, 'rebuild', '--release', `--target=${electronVersion}`, '--dist-url=https://electronjs.org/headers'], {
  cwd: work,
  stdio: 'inherit',
});
cpSync(join(work, 'build/Release/better_sqlite3.node'), target);
writeFileSync(stampFile, stamp);
rmSync(work, { recursive: true, force: true });
