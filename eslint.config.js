import { readdirSync } from 'node:fs';
import js from '@eslint/js';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import importX from 'eslint-plugin-import-x';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

const root = import.meta.dirname;

/**
 * The services, lowest first. Each may import only the ones listed before it (and shared/); none
 * imports core, the shell or the web host, which compose them. `(root)` is the files directly in
 * electron/services/ (file modes, worker paths, TLS and login options), used by everything above.
 * A new folder must be given its place here: the config refuses to load until it is.
 */
export const SERVICE_LAYERS = [
  '(root)',
  'events',
  'logging',
  'credentials',
  'oauth',
  'mail-errors',
  'store',
  'ingest',
  'channels',
  'imap',
  'team',
  'conversations',
  'smtp',
  'connection-test',
];

const serviceFolders = readdirSync(`${root}/electron/services`, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);
const unplaced = serviceFolders.filter((name) => !SERVICE_LAYERS.includes(name));
if (unplaced.length > 0) {
  throw new Error(`eslint.config.js: give electron/services/${unplaced.join(', ')} a place in SERVICE_LAYERS (lowest first)`);
}

const servicePath = (layer) => (layer === '(root)' ? 'electron/services/*.ts' : `electron/services/${layer}/**`);
const COMPOSERS = ['electron/core/**', 'electron/main/**', 'electron/preload/**', 'electron/web/**'];

/** For each service, everything it must not import: the services above it and whatever composes them. */
const serviceZones = SERVICE_LAYERS.map((layer, index) => ({
  target: servicePath(layer),
  from: [...SERVICE_LAYERS.slice(index + 1).map(servicePath), ...COMPOSERS],
  message: `services/${layer} may import only the services below it (SERVICE_LAYERS in eslint.config.js, lowest first) and shared/; never core, main, preload or web.`,
}));

const OUTSIDE_THE_APP = ['test/**', 'e2e/**', 'bench/**', 'scripts/**'];

const appZones = [
  ...serviceZones,
  {
    target: 'electron/core/**',
    from: ['electron/main/**', 'electron/preload/**', 'electron/web/**'],
    message: 'core composes the services; the shell and the web host use core, not the other way round.',
  },
  { target: 'electron/web/**', from: ['electron/main/**', 'electron/preload/**'], message: 'The web host runs without Electron: it never imports the shell.' },
  { target: 'electron/main/**', from: ['electron/web/**', 'electron/preload/**'], message: 'The shell uses core, not the web host or the preload script.' },
  {
    target: 'electron/preload/**',
    from: ['electron/main/**', 'electron/core/**', 'electron/services/**', 'electron/web/**'],
    message: 'preload sees only the contract.',
  },
  {
    target: 'shared/**',
    from: ['electron/**', 'renderer/**', ...OUTSIDE_THE_APP],
    message: 'shared/ is the contract of both sides: it imports only zod and itself.',
  },
  {
    target: 'renderer/**',
    from: ['electron/**', ...OUTSIDE_THE_APP],
    message: 'The renderer reaches the main side only through renderer/src/lib/api.ts and the contract in shared/.',
  },
  { target: 'electron/**', from: OUTSIDE_THE_APP, message: 'App code never imports tests, benchmarks or scripts.' },
];

const noElectron = {
  paths: [{ name: 'electron', message: 'Only electron/main and electron/preload import Electron; everything else runs and is tested under plain Node.' }],
  patterns: [{ group: ['electron/*'], message: 'Only electron/main and electron/preload import Electron.' }],
};

export default defineConfig(
  { ignores: ['out/**', 'dist/**', '.cache/**', '.test-stack/**', '.electron-native/**', 'test-results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.{ts,tsx,js,mjs}'],
    plugins: { 'import-x': importX },
    settings: {
      // Read the imported files as TypeScript too, so no-cycle follows every import through the tree.
      'import-x/extensions': ['.ts', '.tsx', '.js', '.mjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts', '.tsx'] },
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: `${root}/tsconfig.json` })],
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // TypeScript checks names (tsc, and checkJs for the // @ts-check workers).
      'no-undef': 'off',
      // Names, headers and file names are stripped of control characters on purpose, and a
      // disable comment on the line does not survive Prettier re-wrapping the chain it sits in.
      'no-control-regex': 'off',
      // A cleanup registered before the value it cleans up exists reads it first, then it is set once.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      'import-x/no-cycle': 'error',
    },
  },
  {
    // App code. Tests may compose what they test from any layer (a service test may start a core)
    // and use their runner and test/support; the renderer's tests still never reach the main side.
    files: ['{electron,shared,renderer}/**/*.{ts,tsx,mjs}'],
    ignores: ['**/*.test.ts'],
    rules: { 'import-x/no-restricted-paths': ['error', { basePath: root, zones: appZones }] },
  },
  {
    files: ['renderer/**/*.test.ts'],
    rules: { 'import-x/no-restricted-paths': ['error', { basePath: root, zones: appZones.filter((zone) => zone.target === 'renderer/**') }] },
  },
  {
    files: ['electron/**/*.{ts,tsx,mjs}'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.property.name='append']",
          message: 'IMAP APPEND goes through appendMessage() in services/imap/append.ts, which gives the message CRLF line ends.',
        },
        {
          // String.prototype.search takes a regular expression literal here; any other .search( is IMAP.
          selector: "CallExpression[callee.property.name='search']:not([arguments.0.regex])",
          message: 'IMAP SEARCH goes through searchUids() in services/imap/search.ts, which makes a refused search an error instead of "nothing matched".',
        },
      ],
    },
  },
  { files: ['electron/services/imap/append.ts', 'electron/services/imap/search.ts'], rules: { 'no-restricted-syntax': 'off' } },
  {
    files: ['electron/services/**', 'electron/core/**', 'electron/web/**', 'renderer/**'],
    rules: { 'no-restricted-imports': ['error', noElectron] },
  },
  {
    // Tested under plain Node: Electron's types only, never the module itself.
    files: ['electron/main/policy.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { paths: [{ name: 'electron', allowTypeImports: true, message: 'policy.ts runs under plain Node in its tests: import Electron types only.' }] },
      ],
    },
  },
  {
    files: ['shared/**'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '^(?!zod$|\\./)', message: 'shared/ imports only zod and its own files.' }] }],
    },
  },
);
