/**
 * Opens the web host's printed address as a browser would and returns the session cookie it sets,
 * as "name=value" for a Cookie header.
 */
export async function sessionCookie(openUrl: string): Promise<string> {
  const response = await fetch(openUrl, { redirect: 'manual' });
  if (response.status !== 303) throw new Error(`opening ${openUrl} answered ${response.status}, not a redirect with the session cookie`);
  return (response.headers.get('set-cookie') ?? '').split(';')[0]!;
}
