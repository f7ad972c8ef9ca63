import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, ipcMain, protocol, session, shell } from 'electron';
import { channelNames } from '../../shared/contract';
import { ATTACHMENT_PATH_PREFIX, openAttachment, parseAttachmentId, safeFilename } from '../core/attachment-response';
import { createCore, type Core } from '../core/create-core';
import { dataDirArgument } from '../core/data-dir';
import { contentSecurityPolicy } from '../core/security-policy';
import { allowNavigation, allowPermission, APP_HOST, APP_ORIGIN, APP_SCHEME, externalLink, isTrustedSender, windowOptions } from './policy';

/** The Electron shell: lifecycle, the window and its security rules, and binding the router to ipcMain. */

const here = dirname(fileURLToPath(import.meta.url));
const devServerUrl = process.env.ELECTRON_RENDERER_URL;
const rendererDir = join(here, '../renderer');

protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

if (!app.requestSingleInstanceLock()) app.quit();

let core: Core | undefined;
let mainWindow: BrowserWindow | undefined;

/** `npm start` from a checkout loads a better-sqlite3 build made for Electron's ABI (see scripts/prepare-electron-native.mjs). */
function sqliteBinding(): string | undefined {
  if (app.isPackaged) return undefined;
  const candidate = join(app.getAppPath(), '.electron-native', 'better_sqlite3.node');
  return existsSync(candidate) ? candidate : undefined;
}

const MIME: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

/** `app://auxilium/attachments/<id>`: the same download rules as the web host (core/attachment-response.ts). */
async function serveAttachment(request: Request, pathname: string): Promise<Response> {
  const id = parseAttachmentId(pathname.slice(ATTACHMENT_PATH_PREFIX.length));
  const file = id === undefined ? undefined : core?.attachmentFile(id);
  const opened = file && (await openAttachment(file));
  if (!opened) return new Response('Not found', { status: 404, headers: { 'Content-Type': 'text/plain', 'X-Content-Type-Options': 'nosniff' } });
  if (request.method === 'HEAD') {
    opened.stream.destroy();
    return new Response(null, { headers: opened.headers });
  }
  return new Response(Readable.toWeb(opened.stream) as ReadableStream<Uint8Array>, { headers: opened.headers });
}

function serveRenderer(): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const { host, pathname } = new URL(request.url);
    if (host === APP_HOST && pathname.startsWith(ATTACHMENT_PATH_PREFIX)) return serveAttachment(request, pathname);
    const requested = normalize(join(rendererDir, decodeURIComponent(pathname)));
    const file = requested.startsWith(rendererDir + sep) && extname(requested) ? requested : join(rendererDir, 'index.html');
    try {
      return new Response(await readFile(file), {
        headers: { 'Content-Type': MIME[extname(file)] ?? 'application/octet-stream', 'Content-Security-Policy': contentSecurityPolicy() },
      });
    } catch {
      return new Response('Not found', { status: 404 });
    }
  });
}

function bindIpc(target: Core): void {
  for (const channel of channelNames) {
    ipcMain.handle(channel, async (event, input: unknown) => {
      if (!isTrustedSender(event.senderFrame, devServerUrl)) {
        return { ok: false, error: { code: 'INTERNAL', message: 'Request refused: it did not come from the app window.', retryable: false } };
      }
      return target.router.handle(channel, input);
    });
  }
  target.events.onAny((event, payload) => mainWindow?.webContents.send(event, payload), target.eventNames);
}

function createWindow(): BrowserWindow {
  const window = new BrowserWindow(windowOptions(join(here, '../preload/index.cjs')));
  window.webContents.setWindowOpenHandler(({ url }) => {
    const link = externalLink(url);
    if (link) void shell.openExternal(link);
    return { action: 'deny' };
  });
  window.webContents.on('will-navigate', (event, url) => {
    if (!allowNavigation(url, devServerUrl)) event.preventDefault();
  });
  window.webContents.on('will-frame-navigate', (event) => {
    if (!event.isMainFrame && !allowNavigation(event.url, devServerUrl) && !event.url.startsWith('about:')) event.preventDefault();
  });
  window.webContents.on('will-attach-webview', (event) => event.preventDefault());
  window.once('ready-to-show', () => window.show());
  void window.loadURL(devServerUrl ?? `${APP_ORIGIN}/index.html`);
  return window;
}

app.whenReady().then(async () => {
  session.defaultSession.setPermissionRequestHandler((_contents, permission, callback) => callback(allowPermission(permission)));
  session.defaultSession.setPermissionCheckHandler((_contents, permission) => allowPermission(permission));
  // Attachment downloads ask where to save; suggest the Downloads folder and the cleaned-up name.
  session.defaultSession.on('will-download', (_event, item) => {
    if (item.getSavePath()) return;
    item.setSaveDialogOptions({ defaultPath: join(app.getPath('downloads'), safeFilename(item.getFilename())) });
  });
  serveRenderer();

  const dataDir = dataDirArgument(process.argv) ?? process.env.AUXILIUM_DATA_DIR ?? app.getPath('userData');
  core = createCore({
    dataDir,
    version: app.getVersion(),
    sqliteBinding: sqliteBinding(),
    // OAuth sign-in happens in the system browser (RFC 8252), never in an embedded window.
    openExternal: (url) => shell.openExternal(url),
  });
  bindIpc(core);
  await core.start();
  mainWindow = createWindow();

  app.on('second-instance', () => {
    if (mainWindow?.isMinimized()) mainWindow.restore();
    mainWindow?.focus();
  });
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) mainWindow = createWindow();
  });
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

let quitting = false;
app.on('before-quit', (event) => {
  if (quitting || !core) return;
  // Stop watchers and close the database cleanly before the process goes.
  event.preventDefault();
  quitting = true;
  void core.stop().finally(() => app.quit());
});
