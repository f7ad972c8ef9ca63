import nodemailer from 'nodemailer';
import type { MailStackInfo } from '../../test/mailstack/mailstack';

/**
 * Sends an HTML mail through the test stack's Postfix, the way `deliver` sends plain text (the
 * shared helper only takes text). Used for hostile HTML that must never run in the app.
 */
export async function deliverHtml(
  stack: MailStackInfo,
  msg: { from: string; to: string; subject: string; html: string; text?: string },
): Promise<void> {
  const sender = Object.values(stack.users).find((u) => u.address === msg.from.toLowerCase());
  if (!sender) throw new Error(`${msg.from} is not a user of the mail stack`);
  const transport = nodemailer.createTransport({
    host: stack.host,
    port: stack.smtp.starttls,
    secure: false,
    requireTLS: true,
    auth: { user: sender.user, pass: sender.password },
    tls: { ca: stack.certPem },
  });
  try {
    await transport.sendMail({ from: msg.from, to: msg.to, subject: msg.subject, html: msg.html, text: msg.text });
  } finally {
    transport.close();
  }
}
