import type { BrowserWindowConstructorOptions } from 'electron';

/**
 * The desktop window's security rules as plain functions, so tests can check them without an
 * Electron binary. main/index.ts applies them; nothing here imports Electron at runtime.
 */

/** The renderer is served from this custom scheme, never from file:// (which any local file shares). */
export const APP_SCHEME = 'app';
export const APP_HOST = 'auxilium';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

export function windowOptions(preloadPath: string): BrowserWindowConstructorOptions {
  return {
    width: 1280,
    height: 820,
    minWidth: 900,
    minHeight: 600,
    show: false,
    title: 'Auxilium Desktop',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      spellcheck: true,
    },
  };
}

/** The app origin in production, the electron-vite dev server's origin in development. */
export function isAppUrl(url: string, devServerUrl?: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST) return true;
  if (devServerUrl) {
    try {
      return parsed.origin === new URL(devServerUrl).origin;
    } catch {
      return false;
    }
  }
  return false;
}

/** The window never navigates away from the app; links are for the OS browser (see externalLink). */
export function allowNavigation(url: string, devServerUrl?: string): boolean {
  return isAppUrl(url, devServerUrl);
}

/** Links that may be handed to the OS browser: only web and mail links, never file: or custom schemes. */
export function externalLink(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return ['https:', 'http:', 'mailto:'].includes(parsed.protocol) ? parsed.toString() : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Every IPC call must come from the app's own top frame: iframes (such as a rendered HTML mail) and
 * any other page are refused, whatever they claim.
 */
export function isTrustedSender(frame: { url: string; parent: unknown } | null | undefined, devServerUrl?: string): boolean {
  if (!frame || frame.parent !== null) return false;
  return isAppUrl(frame.url, devServerUrl);
}

/** Permissions (camera, geolocation, …) the renderer may be granted: only notifications. */
export function allowPermission(permission: string): boolean {
  return permission === 'notifications';
}
