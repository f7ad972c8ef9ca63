/**
 * The renderer's Content-Security-Policy, one definition for the Electron window and the web host.
 * No inline or remote script, no plugins, no framing of the app, no form posts; network access only
 * back to the app itself (and the web host's WebSocket).
 *
 * HTML mail is shown in sandboxed srcdoc frames, which inherit this policy and add their own,
 * stricter one (no remote images until the user asks, per message). Inherited policies can only
 * narrow, so this one must allow what a mail frame may need: inline styles and, once allowed,
 * remote images. Scripts stay 'self' only.
 */
export function contentSecurityPolicy(options: { connectSrc?: readonly string[] } = {}): string {
  const directives: Record<string, string[]> = {
    'default-src': ["'none'"],
    'script-src': ["'self'"],
    'style-src': ["'self'", "'unsafe-inline'"],
    'img-src': ["'self'", 'data:', 'cid:', 'https:', 'http:'],
    'font-src': ["'self'"],
    'connect-src': ["'self'", ...(options.connectSrc ?? [])],
    'object-src': ["'none'"],
    'base-uri': ["'none'"],
    'form-action': ["'none'"],
    'frame-ancestors': ["'none'"],
  };
  return Object.entries(directives)
    .map(([name, values]) => `${name} ${values.join(' ')}`)
    .join('; ');
}
