import type { ImapFlow, SearchObject } from 'imapflow';

/**
 * Every IMAP SEARCH of the app goes through searchUids(). imapflow answers a SEARCH the server
 * refused (NO or BAD) with false, which a caller easily reads as "nothing matched": a reply then
 * looks absent from Sent and is sent twice, or a message looks gone and a move is taken as made.
 * Here a refusal is an error (code SearchFailed), retried like any other failure.
 */
export async function searchUids(client: ImapFlow, query: SearchObject): Promise<number[]> {
  const found = await client.search(query, { uid: true });
  if (!Array.isArray(found)) {
    const folder = client.mailbox ? client.mailbox.path : 'the mailbox';
    throw Object.assign(new Error(`The server refused to search ${folder}`), { code: 'SearchFailed' });
  }
  return found;
}
