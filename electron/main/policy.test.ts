import { describe, expect, it } from 'vitest';
import { contentSecurityPolicy } from '../core/security-policy';
import { allowNavigation, allowPermission, externalLink, isTrustedSender, windowOptions } from './policy';

describe('window security settings', () => {
  it('isolates and sandboxes the renderer with no Node access', () => {
    const prefs = windowOptions('/app/preload.cjs').webPreferences!;
    expect(prefs).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      preload: '/app/preload.cjs',
    });
  });

  it('navigates only within the app origin', () => {
    expect(allowNavigation('app://auxilium/index.html')).toBe(true);
    expect(allowNavigation('app://auxilium.evil.com/')).toBe(false);
    expect(allowNavigation('https://example.com/')).toBe(false);
    expect(allowNavigation('file:///etc/passwd')).toBe(false);
    expect(allowNavigation('http://localhost:5173/x', 'http://localhost:5173')).toBe(true);
    expect(allowNavigation('http://localhost:5174/x', 'http://localhost:5173')).toBe(false);
    expect(allowNavigation('not a url')).toBe(false);
  });

  it('hands only web and mail links to the OS browser', () => {
    expect(externalLink('https://example.com/a?b=c')).toBe('https://example.com/a?b=c');
    expect(externalLink('mailto:someone@example.com')).toBe('mailto:someone@example.com');
    expect(externalLink('file:///home/user/.ssh/id_rsa')).toBeUndefined();
    expect(externalLink('javascript:alert(1)')).toBeUndefined();
    expect(externalLink('smb://server/share')).toBeUndefined();
  });

  it('accepts IPC only from the app top frame', () => {
    expect(isTrustedSender({ url: 'app://auxilium/index.html', parent: null })).toBe(true);
    expect(isTrustedSender({ url: 'app://auxilium/index.html', parent: {} })).toBe(false); // an iframe
    expect(isTrustedSender({ url: 'https://evil.example/', parent: null })).toBe(false);
    expect(isTrustedSender(null)).toBe(false);
  });

  it('grants notifications and nothing else', () => {
    expect(allowPermission('notifications')).toBe(true);
    for (const permission of ['media', 'geolocation', 'openExternal', 'clipboard-read', 'fullscreen']) expect(allowPermission(permission)).toBe(false);
  });
});

describe('content security policy', () => {
  it('allows only the app own scripts and no inline code, plugins or framing', () => {
    const csp = contentSecurityPolicy({ connectSrc: ['ws://127.0.0.1:4000'] });
    const scripts = csp.split('; ').find((d) => d.startsWith('script-src'));
    expect(csp).toContain("default-src 'none'");
    expect(scripts).toBe("script-src 'self'");
    expect(csp).not.toContain('unsafe-eval');
    expect(csp).toContain("object-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("connect-src 'self' ws://127.0.0.1:4000");
  });
});
