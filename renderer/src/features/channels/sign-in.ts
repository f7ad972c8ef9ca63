import type { Result } from '../../../../shared/errors';
import type { AuthForm } from '../../../../shared/oauth';
import { invoke } from '../../lib/api';

/**
 * OAuth sign-in in the browser: the main side listens on a loopback port for the provider's answer.
 * In Electron it opens the system browser itself; in a browser (the web host) the sign-in page
 * opens in a new tab from here. Resolves once the tokens are in, or with what went wrong.
 */
export async function signInWithBrowser(
  input: { auth?: AuthForm; channelId?: string },
  onStarted: (signInId: string) => void = () => undefined,
): Promise<Result<{ signInId: string }>> {
  const started = await invoke('oauth:start-sign-in', input);
  if (!started.ok) return started;
  onStarted(started.value.signInId);
  if (!started.value.openedInBrowser) window.open(started.value.authorizationUrl, '_blank', 'noopener');
  return invoke('oauth:finish-sign-in', { signInId: started.value.signInId, ...(input.channelId && !input.auth ? { channelId: input.channelId } : {}) });
}

/** Gives up a sign-in still waiting for the browser: its loopback listener closes at once. */
export function cancelSignIn(signInId: string): void {
  void invoke('oauth:cancel-sign-in', { signInId });
}
