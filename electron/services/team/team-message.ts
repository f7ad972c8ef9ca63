import MailComposer from 'nodemailer/lib/mail-composer';
import type { FetchMessageObject, MessageStructureObject } from 'imapflow';
import { teamMessageSchema, type TeamEvent, type TeamMessage } from '../../../shared/team-events';

/**
 * One team message as MIME: a text/plain part that a person browsing the folder in a mail client
 * understands, and the machine-readable application/json part the desktops read (part 2). Built by
 * nodemailer; appendMessage() makes every line end CRLF (Cyrus refuses bare LF).
 */

/** Every message the app writes to the folder carries this header; only those are ever expunged. */
export const TEAM_HEADER = 'X-Auxilium-Team';
/** The event or snapshot id, to find an append whose answer was lost (servers without APPENDUID). */
export const EVENT_HEADER = 'X-Auxilium-Event';

const FOOTER =
  'This message is part of the shared state of the Auxilium Desktop team working in this mailbox. ' +
  'The app reads it from this folder; please leave the folder to the app.';

function describe(message: TeamMessage): { subject: string; text: string } {
  if (message.type === 'snapshot') {
    const count = Object.keys(message.state.conversations).length;
    const what = message.seed ? 'restored after the folder was lost or renumbered' : `up to message ${message.upTo}`;
    return { subject: `Team state (${count} conversations)`, text: `The team's state of ${count} conversations, ${what}.` };
  }
  const who = message.by || 'Someone';
  const where = 'conversation' in message ? ` (conversation ${message.conversation.slice(message.conversation.indexOf(':') + 1)})` : '';
  switch (message.type) {
    case 'note.added':
      return {
        subject: `Note by ${message.authorName || who}${where}`,
        text: `${message.authorName || who} added an internal note${where}:\n\n${message.text}`,
      };
    case 'status.changed':
      return { subject: `Status ${message.status}${where}`, text: `${who} set the status to ${message.status}${where}.` };
    case 'assignee.changed':
      return {
        subject: `Assigned to ${message.assignee ?? 'nobody'}${where}`,
        text: message.assignee
          ? `${who} assigned the conversation to ${message.assignee}${where}.`
          : `${who} moved the conversation back to the unassigned queue${where}.`,
      };
    case 'conversation.routed':
      return { subject: `Routed to ${message.assignee}${where}`, text: `New conversation routed round-robin to ${message.assignee}${where}.` };
    case 'agent.saved':
      return {
        subject: `Agent ${message.name} <${message.email}>`,
        text: message.previousEmail
          ? `${who} changed the agent ${message.previousEmail} to ${message.name} <${message.email}>.`
          : `${who} added or renamed the agent ${message.name} <${message.email}>.`,
      };
    case 'agent.removed':
      return { subject: `Agent ${message.email} removed`, text: `${who} removed the agent ${message.email}.` };
    case 'conversation.binned': {
      const did =
        message.bin === 'deleted' ? 'deleted the conversation' : message.bin === 'spam' ? 'marked the conversation as spam' : 'restored the conversation';
      const subject = message.bin === 'deleted' ? 'Deleted' : message.bin === 'spam' ? 'Marked as spam' : 'Restored';
      return { subject: `${subject}${where}`, text: `${who} ${did}${where}.` };
    }
    case 'saved-reply.saved':
      return { subject: `Saved reply “${message.name}”`, text: `${who} saved the reply “${message.name}”:\n\n${message.body}` };
    case 'saved-reply.removed':
      return { subject: 'Saved reply removed', text: `${who} removed a saved reply (${message.reply}).` };
    case 'presence':
      return {
        subject: message.until ? `${message.name || who} is replying${where}` : `${message.name || who} stopped replying${where}`,
        text: message.until
          ? `${message.name || who} is writing a reply${where}, until ${message.until} at the latest.`
          : `${message.name || who} stopped writing a reply${where}.`,
      };
  }
}

export async function composeTeamMessage(message: TeamMessage, mailbox: string): Promise<Buffer> {
  const { subject, text } = describe(message);
  // Escaping everything beyond ASCII keeps the JSON readable by any server and client as it is.
  const json = JSON.stringify(message).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const kind = message.type === 'snapshot' ? (message.seed ? 'seed' : 'snapshot') : 'event';
  const headers: Record<string, string> = { [TEAM_HEADER]: kind, [EVENT_HEADER]: message.id };
  if (message.type === 'snapshot') headers['X-Auxilium-Snapshot'] = `${message.upTo} ${message.uidValidity}`;
  const built = await new MailComposer({
    from: { name: 'Auxilium Team', address: mailbox },
    to: { name: 'Auxilium Team', address: mailbox },
    subject: `[Auxilium] ${subject}`,
    date: new Date(message.at),
    text: `${text}\n\n-- \n${FOOTER}\n`,
    attachments: [{ filename: `${kind}.json`, contentType: 'application/json', content: json, contentTransferEncoding: 'base64' }],
    headers,
  })
    .compile()
    .build();
  return built;
}

export type ReadTeamMessage = { ok: true; message: TeamMessage } | { ok: false; reason: string };

/** What to fetch for readTeamMessage. */
export const TEAM_FETCH = { uid: true, internalDate: true, bodyStructure: true, bodyParts: ['2'] } as const;

function decode(content: Buffer, encoding: string | undefined, alreadyDecoded: boolean): string {
  if (alreadyDecoded) return content.toString('utf8');
  switch ((encoding ?? '7bit').toLowerCase()) {
    case 'base64':
      return Buffer.from(content.toString('latin1').replace(/[^A-Za-z0-9+/=]/g, ''), 'base64').toString('utf8');
    case 'quoted-printable':
      return Buffer.from(
        content
          .toString('latin1')
          .replace(/=\r?\n/g, '')
          .replace(/=([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))),
        'latin1',
      ).toString('utf8');
    default:
      return content.toString('utf8');
  }
}

/** The team message in a fetched folder message, or why it is not one. */
export function readTeamMessage(fetched: Pick<FetchMessageObject, 'bodyStructure' | 'bodyParts' | 'binaryParts'>): ReadTeamMessage {
  const part: MessageStructureObject | undefined = fetched.bodyStructure?.childNodes?.[1];
  if (!part || part.type.toLowerCase() !== 'application/json') return { ok: false, reason: 'no application/json part' };
  const content = fetched.bodyParts?.get('2');
  if (!content) return { ok: false, reason: 'the JSON part is empty' };
  let value: unknown;
  try {
    value = JSON.parse(decode(content, part.encoding, fetched.binaryParts?.has('2') ?? false));
  } catch {
    return { ok: false, reason: 'the JSON part is not valid JSON' };
  }
  const parsed = teamMessageSchema.safeParse(value);
  if (!parsed.success) return { ok: false, reason: `not a team message: ${parsed.error.issues[0]?.message ?? 'invalid'}` };
  return { ok: true, message: parsed.data };
}

export function isEvent(message: TeamMessage): message is TeamEvent {
  return message.type !== 'snapshot';
}
