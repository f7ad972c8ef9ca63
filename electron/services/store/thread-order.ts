/**
 * The order of a conversation's messages, as the thread shows them and as the reply target is
 * picked from: the order they reached us, never their Date headers (a sender's clock may be wrong,
 * or set on purpose to stay "newest"). Servers keep arrival times in whole seconds while our replies
 * carry milliseconds: compare to the second, then by insertion, so a customer's answer never comes
 * before the reply it answers.
 */
export const THREAD_ORDER = 'substr(arrived_at, 1, 19), id';
