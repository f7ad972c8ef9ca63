import type { OAuthUser } from '../mailstack/auth-server';

/**
 * Plays the browser in an OAuth sign-in against the mail stack's authorization server, over plain
 * HTTP: follows the authorization URL, fills in the login page, accepts the consent page, and
 * follows the final redirect to the app's loopback listener, as a browser would. Returns the
 * listener's answer. (The end-to-end tests do the same in Chromium.)
 */
export async function signInOverHttp(authorizationUrl: string, user: OAuthUser): Promise<{ status: number; text: string; redirectedTo: string }> {
  const cookies = new Map<string, string>();
  const remember = (res: Response): void => {
    for (const line of res.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq > 0) cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
  };
  const request = async (url: string, form?: Record<string, string>): Promise<Response> => {
    const res = await fetch(url, {
      method: form ? 'POST' : 'GET',
      redirect: 'manual',
      headers: {
        cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; '),
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(form ? { body: new URLSearchParams(form).toString() } : {}),
    });
    remember(res);
    return res;
  };

  let url = authorizationUrl;
  let form: Record<string, string> | undefined;
  for (let step = 0; step < 20; step++) {
    const res = await request(url, form);
    form = undefined;
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      url = new URL(location, url).toString();
      continue;
    }
    const text = await res.text();
    if (new URL(url).origin !== new URL(authorizationUrl).origin) return { status: res.status, text, redirectedTo: url };
    const action = /<form[^>]*action="([^"]+)"/.exec(text)?.[1];
    if (!action) throw new Error(`the sign-in page has no form (HTTP ${res.status}): ${text.slice(0, 300)}`);
    url = new URL(action.replace(/&amp;/g, '&'), url).toString();
    form = /name="login"/.test(text) ? { login: user.login, password: user.password } : {};
  }
  throw new Error('the sign-in did not end at the app');
}
