import { randomBytes } from 'node:crypto';
import { simpleParser } from 'mailparser';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEFERRED_RECIPIENT, deliver, withImapSession, type MailUser } from '../test/mailstack/mailstack';
import { addMessage, generateConversations, installFakeInbox, type FakeInbox, type FakeMessage } from './support/fake-inbox';
import { fakeChannel, outboxHandlers, SENT_COPY_REFUSED, type FakeOutbox } from './support/fake-outbox';
import { openApp, TestApp } from './support/host';
import { LONG, fillStackChannel, openEditDialog, seeText, testTrustAndCreate, waitForConnected } from './support/ui';

/**
 * Replies. The first part drives the composer against a stand-in outbox (so every delivery state,
 * failures included, can be shown on demand); the second is the real thing: a reply written in the
 * UI reaches the customer's mailbox through Postfix, and the customer's answer to it comes back
 * into the same conversation.
 */

const stack = inject('mailstack');
const support = stack.users.support;
const customer = stack.users.customer;
const token = randomBytes(4).toString('hex');
const SIGNATURE = `Acme Support ${token}\nhttps://acme.example/help`;

function conversationRegion(page: Page, subject: string): Locator {
  return page.getByRole('region', { name: subject, exact: true });
}

function row(page: Page, subject: string): Locator {
  return page.getByRole('list', { name: 'Conversations' }).getByRole('link', { name: new RegExp(subject.replace(/[#.*+?^${}()|[\]\\]/g, '\\$&')) });
}

function modeButton(region: Locator, name: 'Reply' | 'Reply all' | 'Forward' | 'Note'): Locator {
  return region.getByRole('group', { name: 'Compose' }).getByRole('button', { name, exact: true });
}

/** The composer's To, Cc or Bcc field. */
function recipientField(region: Locator, name: 'To' | 'Cc' | 'Bcc'): Locator {
  return region.getByRole('group', { name: 'Recipients' }).getByLabel(name, { exact: true });
}

function messageBox(region: Locator): Locator {
  return region.getByRole('textbox', { name: 'Message', exact: true });
}

function sendStatus(region: Locator): Locator {
  return region.getByRole('status').filter({ hasText: /\S/ });
}

/** The delivery badge of a reply, by its exact word (Queued, Sending, Sent, Failed). */
function badge(scope: Locator, state: 'Queued' | 'Sending' | 'Sent' | 'Failed'): Locator {
  return scope.locator('.delivery-badge').getByText(state, { exact: true });
}

function article(region: Locator, text: string): Locator {
  return region.getByRole('article').filter({ hasText: text });
}

interface MailCopy {
  uid: number;
  subject: string;
  messageId: string;
  inReplyTo: string;
  source: string;
}

/** Every message in a user's mailbox, read-only, with the headers a reply check needs. */
async function readMailbox(user: MailUser, mailbox = 'INBOX'): Promise<MailCopy[]> {
  return withImapSession(stack, user, async (client) => {
    const lock = await client.getMailboxLock(mailbox, { readOnly: true });
    try {
      const out: MailCopy[] = [];
      if ((client.mailbox && client.mailbox.exists) === 0) return out;
      for await (const msg of client.fetch('1:*', { uid: true, envelope: true, source: true })) {
        out.push({
          uid: msg.uid,
          subject: msg.envelope?.subject ?? '',
          messageId: msg.envelope?.messageId ?? '',
          inReplyTo: msg.envelope?.inReplyTo ?? '',
          source: msg.source?.toString('utf8') ?? '',
        });
      }
      return out;
    } finally {
      lock.release();
    }
  });
}

/** Waits until a message matching `match` is in the mailbox. */
async function waitForMail(user: MailUser, match: (m: MailCopy) => boolean, timeout = LONG): Promise<MailCopy> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const mails = await readMailbox(user);
    const found = mails.find(match);
    if (found) return found;
    if (Date.now() > deadline) {
      const last = mails.slice(-3).map((m) => `${m.subject} (${m.messageId})\n${m.source.slice(0, 1500)}`);
      throw new Error(`no matching mail in ${user.address}'s INBOX within ${timeout} ms; the newest:\n${last.join('\n---\n')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

describe('Reply composer (stand-in outbox)', () => {
  let app: TestApp;
  let page: Page;
  let inbox: FakeInbox;
  const outbox: FakeOutbox = { drafts: new Map(), files: new Map(), sent: [], cancelled: [], scheduled: new Set() };
  const subject = 'Order question #3';
  const channel = fakeChannel('fake-channel', SIGNATURE);
  let original: FakeMessage;
  const sendCalls = () => inbox.calls.filter((c) => c.channel === 'conversations:send-reply');

  beforeAll(async () => {
    app = await TestApp.start();
    const context = await app.browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    inbox = await installFakeInbox(page, generateConversations(3), {
      handlers: outboxHandlers(outbox, [channel]),
    });
    original = addMessage(inbox, 3, {
      text: 'Hello,\n\nwhere is my order?\n\nCarol',
      to: [{ name: 'Support', address: 'support@auxilium.test' }],
      cc: [{ name: 'Boss', address: 'boss@example.com' }],
    });
    await page.goto(`${app.host.url}#/inbox/all`);
    await row(page, subject).click();
    await conversationRegion(page, subject).waitFor();
  });

  afterAll(async () => {
    await app?.close();
  });

  it('has one composer with Reply, Reply all and Note, showing To/Cc and the signature', async () => {
    const region = conversationRegion(page, subject);
    expect(await modeButton(region, 'Reply').getAttribute('aria-pressed')).toBe('true');
    await messageBox(region).waitFor();
    await expect.poll(() => recipientField(region, 'To').inputValue(), { timeout: 5_000 }).toBe('Customer 3 <customer3@example.com>');
    expect(await recipientField(region, 'Cc').inputValue()).toBe('');
    expect(await recipientField(region, 'Bcc').inputValue()).toBe('');
    await seeText(region.locator('.composer-signature'), `Acme Support ${token}`, 5_000);
    await region.getByRole('button', { name: 'Send', exact: true }).waitFor();

    await modeButton(region, 'Reply all').click();
    await expect.poll(() => recipientField(region, 'Cc').inputValue(), { timeout: 5_000 }).toBe('Boss <boss@example.com>');

    await region.getByRole('button', { name: 'Attach files' }).waitFor();

    await modeButton(region, 'Note').click();
    await region.getByLabel('Note', { exact: true }).waitFor();
    await region.getByRole('button', { name: 'Add note' }).waitFor();
    expect(await region.getByRole('button', { name: 'Send', exact: true }).count()).toBe(0);
    expect(await region.locator('.composer-signature').count()).toBe(0);
    // Notes carry no files.
    expect(await region.getByRole('button', { name: 'Attach files' }).count()).toBe(0);
    await modeButton(region, 'Reply').click();
    await messageBox(region).waitFor();
  });

  it('refuses an empty reply in words', async () => {
    const region = conversationRegion(page, subject);
    await region.getByRole('button', { name: 'Send', exact: true }).click();
    await seeText(region, 'Write a reply first', 5_000);
    expect(inbox.calls.filter((c) => c.channel === 'conversations:send-reply')).toHaveLength(0);
  });

  it('refuses a file over the size limit before sending, naming it and the limit', async () => {
    const region = conversationRegion(page, subject);
    const huge = { name: 'huge.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(26 * 1024 * 1024) };
    await region.locator('input[type="file"]').setInputFiles([huge, { name: 'small.txt', mimeType: 'text/plain', buffer: Buffer.from('fits') }]);
    await seeText(region.getByRole('alert'), '“huge.bin” (26 MB) is larger than the 25 MB a reply can carry.', 10_000);
    const list = region.getByRole('list', { name: 'Attached files' });
    await seeText(list, 'small.txt', 10_000);
    expect(await list.getByRole('listitem').count()).toBe(1);
    await region.getByRole('button', { name: 'Remove small.txt' }).click();
    await list.waitFor({ state: 'detached', timeout: 5_000 });
    expect(outbox.files.get(3) ?? []).toEqual([]);

    // A file the main side refuses is not listed, and the reason is shown.
    await region.locator('input[type="file"]').setInputFiles([{ name: 'REFUSE me.txt', mimeType: 'text/plain', buffer: Buffer.from('no') }]);
    await seeText(region.getByRole('alert'), '“REFUSE me.txt” was not attached: The disk is full.', 10_000);
    expect(await list.count()).toBe(0);
  });

  it('saves the draft while typing (debounced) and restores it after a reload', async () => {
    const region = conversationRegion(page, subject);
    const before = inbox.calls.filter((c) => c.channel === 'drafts:save').length;
    await messageBox(region).pressSequentially('Draft that must survive', { delay: 20 });
    await seeText(region, 'Draft saved', 5_000);
    expect(outbox.drafts.get(3)).toBe('Draft that must survive');
    // One save for the burst of typing, not one per key.
    expect(inbox.calls.filter((c) => c.channel === 'drafts:save').length - before).toBeLessThanOrEqual(3);

    await page.reload();
    const again = conversationRegion(page, subject);
    await expect.poll(() => messageBox(again).inputValue(), { timeout: 10_000 }).toBe('Draft that must survive');
  });

  it('Undo within the window sends nothing and puts the text back', async () => {
    const region = conversationRegion(page, subject);
    await messageBox(region).fill(`Undo me ${token}`);
    await messageBox(region).press('Control+Enter');
    const status = sendStatus(region);
    await seeText(status, /Sending in \d s/, 5_000);
    expect(await messageBox(region).inputValue()).toBe('');
    await status.getByRole('button', { name: 'Undo' }).click();
    await expect.poll(() => messageBox(region).inputValue(), { timeout: 5_000 }).toBe(`Undo me ${token}`);
    expect(outbox.cancelled).toHaveLength(1);
    // Nothing is left to go out later: the undo took the reply off the host's schedule.
    expect(outbox.scheduled.size).toBe(0);
    expect(outbox.sent).toHaveLength(0);
    expect(await article(region, `Undo me ${token}`).count()).toBe(0);
    await expect.poll(() => outbox.drafts.get(3), { timeout: 5_000 }).toBe(`Undo me ${token}`);
  });

  it('sends with Ctrl+Enter and shows Queued → Sent with the time', async () => {
    const region = conversationRegion(page, subject);
    await messageBox(region).fill(`Your parcel left today ${token}`);
    await messageBox(region).press('Control+Enter');
    const reply = article(region, `Your parcel left today ${token}`);
    await badge(reply, 'Queued').waitFor({ timeout: 5_000 });
    await seeText(sendStatus(region), /Sending in \d s/, 5_000);
    await badge(reply, 'Sent').waitFor({ timeout: 15_000 });
    await seeText(sendStatus(region), /^Sent at /, 5_000);
    expect(outbox.sent.map((m) => m.text)).toEqual([`Your parcel left today ${token}`]);
    expect(outbox.drafts.get(3)).toBe('');
  });

  it('shows a queued retry with its next attempt', async () => {
    const region = conversationRegion(page, subject);
    await messageBox(region).fill(`TEMPFAIL then fine ${token}`);
    await region.getByRole('button', { name: 'Send', exact: true }).click();
    const reply = article(region, `TEMPFAIL then fine ${token}`);
    await seeText(reply, /Next attempt at/, 15_000);
    await seeText(sendStatus(region), /Queued — next attempt at/, 5_000);
    await badge(reply, 'Sent').waitFor({ timeout: 15_000 });
  });

  it('shows a failed reply in red with cause and fix; Retry sends it, Edit puts it back', async () => {
    const region = conversationRegion(page, subject);
    await messageBox(region).fill(`REJECT this one ${token}`);
    await region.getByRole('button', { name: 'Send', exact: true }).click();
    const failed = article(region, `REJECT this one ${token}`);
    await badge(failed, 'Failed').waitFor({ timeout: 15_000 });
    await seeText(failed, 'The server refused to deliver to customer@example.com');
    await seeText(failed, 'Likely cause:');
    await seeText(failed, /Relay access denied/);
    await seeText(failed, 'How to fix:');
    await seeText(sendStatus(region), /^Not sent: /, 5_000);
    await page.screenshot({ path: 'test-results/replies-failed-stand-in.png' });
    await failed.getByRole('button', { name: 'Retry' }).click();
    await badge(article(region, `accepted this one ${token}`), 'Sent').waitFor({ timeout: 15_000 });

    await messageBox(region).fill(`REJECT and edit ${token}`);
    await region.getByRole('button', { name: 'Send', exact: true }).click();
    const again = article(region, `REJECT and edit ${token}`);
    await badge(again, 'Failed').waitFor({ timeout: 15_000 });
    await again.getByRole('button', { name: 'Edit' }).click();
    await expect.poll(() => messageBox(region).inputValue(), { timeout: 5_000 }).toBe(`REJECT and edit ${token}`);
    await again.waitFor({ state: 'detached', timeout: 5_000 });
    await messageBox(region).fill('');
  });

  it('shows a sent reply whose copy could not be filed: Not filed, the folder, cause, fix and the server’s words', async () => {
    const region = conversationRegion(page, subject);
    await messageBox(region).fill(`UNFILED copy ${token}`);
    await region.getByRole('button', { name: 'Send', exact: true }).click();
    const reply = article(region, `UNFILED copy ${token}`);
    await badge(reply, 'Sent').waitFor({ timeout: 15_000 });
    const filing = reply.getByRole('region', { name: 'Copy in the Sent folder' });
    await seeText(filing, 'Not filed');
    await seeText(filing, /its copy is not in “INBOX\.Sent”: The server refused to file the copy in "INBOX\.Sent"\. Tried again by itself\./);
    await seeText(filing, SENT_COPY_REFUSED.cause);
    await seeText(filing, SENT_COPY_REFUSED.fix);
    await filing.getByText('What the server said').click();
    await seeText(filing, 'Message contains bare newlines');
  });

  it('shows the server notices on the channel card: copies not filed, no Sent folder (with Create and Choose), IDLE that does not push', async () => {
    channel.notices = [
      { kind: 'sent-copy-failed', folder: 'INBOX.Sent', error: SENT_COPY_REFUSED },
      { kind: 'no-sent-folder' },
      { kind: 'idle-silent', pollSeconds: 60 },
    ];
    const watching = channel.status;
    channel.status = { ...watching, sent: { watched: false, message: 'No Sent folder on the server: replies sent from other mail clients are not shown' } };
    try {
      await page.goto(`${app.host.url}#/channels`);
      const notices = page.getByRole('article', { name: 'Support Email' }).getByRole('list', { name: 'Server notices' });
      await seeText(notices, /Sent copies are not being filed in “INBOX\.Sent”: The server refused to file the copy/);
      await seeText(notices, /This server has no Sent folder/);
      await notices.getByRole('button', { name: 'Create a Sent folder' }).waitFor();
      await notices.getByRole('button', { name: 'Choose a folder…' }).waitFor();
      await seeText(notices, 'This server does not push new mail (IDLE); new mail is checked every 60 s.');
      // Said once, where the fix is offered, not again as the Sent folder's status.
      const card = await page.getByRole('article', { name: 'Support Email' }).innerText();
      expect(card.match(/no Sent folder/gi)).toHaveLength(1);
    } finally {
      channel.status = watching;
      channel.notices = [];
      await page.goto(`${app.host.url}#/inbox/all`);
      await row(page, subject).click();
    }
  });

  it('adds an internal note from the same composer', async () => {
    const region = conversationRegion(page, subject);
    await modeButton(region, 'Note').click();
    await region.getByLabel('Note', { exact: true }).fill(`Checked with the courier ${token}`);
    await region.getByLabel('Note', { exact: true }).press('Control+Enter');
    await seeText(article(region, `Checked with the courier ${token}`), 'Internal note', 5_000);
    expect(inbox.calls.filter((c) => c.channel === 'conversations:send-reply' && String(c.input.text).includes('courier'))).toHaveLength(0);
    await modeButton(region, 'Reply').click();
    await messageBox(region).fill('Thanks for waiting — it is on its way.');
    await page.screenshot({ path: 'test-results/replies-stand-in.png' });
  });

  it("says so plainly when a reply would go to someone other than the conversation's customer (Reply-To)", async () => {
    const other = 'Order question #2';
    addMessage(inbox, 2, { text: 'Please answer my colleague instead.', replyTo: [{ name: 'Somebody', address: 'somebody@elsewhere.example' }] });
    // Conversation 2 is closed: show every status (a reload above put the list back on its default).
    await page.getByRole('search').getByLabel('Status').selectOption({ label: 'Any' });
    await row(page, other).click();
    const region = conversationRegion(page, other);
    await expect.poll(() => recipientField(region, 'To').inputValue(), { timeout: 5_000 }).toContain('somebody@elsewhere.example');
    await seeText(region.locator('.composer-elsewhere'), 'Not the customer', 5_000);
    expect(await region.locator('.composer-elsewhere').textContent()).toContain('Customer 2 <customer2@example.com>');

    // Conversation 3 answers its customer: no such notice.
    await row(page, subject).click();
    await expect.poll(() => recipientField(conversationRegion(page, subject), 'To').inputValue(), { timeout: 5_000 }).toContain('customer3@example.com');
    expect(await conversationRegion(page, subject).locator('.composer-elsewhere').count()).toBe(0);
  });

  it('edits To, Cc and Bcc: a wrong address is named at its field and nothing is sent; the reply goes to the people entered', async () => {
    const region = conversationRegion(page, subject);
    await modeButton(region, 'Reply').click();
    const text = `Edited recipients ${token}`;
    await messageBox(region).fill(text);
    const before = sendCalls().length;
    await recipientField(region, 'Cc').fill('boss@example.com, not an address');
    await recipientField(region, 'Bcc').fill('Lead <lead@auxilium.test>');
    await region.getByRole('button', { name: 'Send', exact: true }).click();
    await seeText(region, '“not an address” is not an email address. Write it like name@example.com.', 5_000);
    expect(await recipientField(region, 'Cc').getAttribute('aria-invalid')).toBe('true');
    expect(sendCalls()).toHaveLength(before);

    await recipientField(region, 'Cc').fill('boss@example.com');
    await recipientField(region, 'To').fill('Customer 3 <customer3@example.com>, partner@elsewhere.example');
    // Still said plainly: someone who is not the customer gets this reply.
    await seeText(region.locator('.composer-elsewhere'), 'partner@elsewhere.example', 5_000);
    await page.screenshot({ path: 'test-results/replies-recipients.png' });
    await recipientField(region, 'Bcc').press('Control+Enter');
    await expect.poll(() => sendCalls().length, { timeout: 5_000 }).toBe(before + 1);
    expect(sendCalls().at(-1)!.input.recipients).toEqual({
      to: [
        { name: 'Customer 3', address: 'customer3@example.com' },
        { name: '', address: 'partner@elsewhere.example' },
      ],
      cc: [{ name: '', address: 'boss@example.com' }],
      bcc: [{ name: 'Lead', address: 'lead@auxilium.test' }],
    });
    const sent = article(region, text);
    await badge(sent, 'Sent').waitFor({ timeout: 15_000 });
    // Our own thread shows the Bcc; the fields start from the defaults again.
    await seeText(sent.locator('.message-addresses'), 'lead@auxilium.test', 5_000);
    expect(await recipientField(region, 'Cc').inputValue()).toBe('');
    expect(await recipientField(region, 'To').inputValue()).toBe('Customer 3 <customer3@example.com>');
  });

  it('warns on Send when a teammate replied after the draft began, and sends only on “Send anyway”', async () => {
    const region = conversationRegion(page, subject);
    const text = `Second answer ${token}`;
    await messageBox(region).fill(text);
    await seeText(region, 'Draft saved', 5_000);
    // Grace's reply turns up in the shared Sent folder meanwhile.
    const theirs = addMessage(inbox, 3, {
      direction: 'outbound',
      kind: 'own',
      from: { name: 'Acme Support', address: 'support@auxilium.test' },
      to: [{ name: 'Customer 3', address: 'customer3@example.com' }],
      text: `Grace answered already ${token}.`,
      sentBy: 'Grace Hopper <grace@auxilium.test>',
      date: new Date(Date.now() - 2 * 60_000).toISOString(),
    });
    // Newer than anything in the thread, as the real store numbers it.
    theirs.id = 9_000_000;
    inbox.emit('conversations:changed', { ids: [3], created: [] });
    await seeText(region, `Grace answered already ${token}.`, 5_000);
    const before = sendCalls().length;
    await region.getByRole('button', { name: 'Send', exact: true }).click();
    const warning = region.getByRole('alert').filter({ hasText: 'send anyway?' });
    await seeText(warning, 'Grace Hopper replied 2 minutes ago — send anyway?', 5_000);
    await page.screenshot({ path: 'test-results/replies-collision.png' });
    expect(sendCalls()).toHaveLength(before);
    expect(await messageBox(region).inputValue()).toBe(text);

    await warning.getByRole('button', { name: 'Send anyway' }).click();
    await expect.poll(() => sendCalls().length, { timeout: 5_000 }).toBe(before + 1);
    await badge(article(region, text), 'Sent').waitFor({ timeout: 15_000 });
    expect(await warning.count()).toBe(0);
  });

  it('forwards a message of the thread: Forward on the message, To first, the Fwd goes out and shows as forwarded', async () => {
    const region = conversationRegion(page, subject);
    await article(region, 'where is my order?')
      .getByRole('button', { name: /^Forward/ })
      .click();
    expect(await modeButton(region, 'Forward').getAttribute('aria-pressed')).toBe('true');
    await seeText(region.locator('.composer-forwarding'), 'the message from Customer 3', 5_000);
    await expect.poll(() => recipientField(region, 'To').evaluate((el) => el === document.activeElement), { timeout: 5_000 }).toBe(true);
    expect(await recipientField(region, 'To').inputValue()).toBe('');
    const before = sendCalls().length;
    await region.getByRole('button', { name: 'Send', exact: true }).click();
    await seeText(region, 'Enter at least one To address', 5_000);
    expect(sendCalls()).toHaveLength(before);

    await recipientField(region, 'To').fill('Workshop <workshop@partner.example>');
    const text = `Please check this order ${token}`;
    await messageBox(region).fill(text);
    await messageBox(region).press('Control+Enter');
    await expect.poll(() => sendCalls().length, { timeout: 5_000 }).toBe(before + 1);
    expect(sendCalls().at(-1)!.input).toMatchObject({
      mode: 'forward',
      forwardOf: original.id,
      recipients: { to: [{ name: 'Workshop', address: 'workshop@partner.example' }], cc: [], bcc: [] },
    });
    const forwarded = article(region, text);
    await forwarded.getByText('Forwarded', { exact: true }).waitFor({ timeout: 5_000 });
    await badge(forwarded, 'Sent').waitFor({ timeout: 15_000 });
    // The composer is back on Reply, to the customer.
    expect(await modeButton(region, 'Reply').getAttribute('aria-pressed')).toBe('true');
  });
});

describe('Replies end to end (real mail)', () => {
  let app: TestApp;
  let page: Page;
  const subject = `Broken kettle ${token}`;
  const replyText = `Sorry about the kettle — a new one is on its way (${token}).`;
  let ourMessageId = '';
  let ourSubject = '';

  beforeAll(async () => {
    app = await TestApp.start();
    ({ page } = await openApp(app.browser, app.host.url));
  });

  afterAll(async () => {
    await app?.close();
  });

  it('creates the channel in the UI with a signature and reply settings', async () => {
    const dialog = await fillStackChannel(page, stack, support, { fromName: 'Acme Support' });
    const settings = dialog.getByRole('group', { name: 'Inbox Settings' });
    await settings.getByLabel('Poll interval (seconds)').fill('10');
    await settings.getByLabel('Import existing mail').selectOption('none');
    await settings.getByLabel('Signature').fill(SIGNATURE);
    expect(await settings.getByLabel('Sent folder').inputValue()).toBe('auto');
    await seeText(settings, /Gmail saves sent mail by itself/, 5_000);
    await seeText(settings, 'Microsoft 365: 30', 5_000);
    await settings.getByLabel('Send limit per minute').fill('30');
    await settings.getByLabel('Sent folder').selectOption({ label: 'A folder I name…' });
    await seeText(settings, 'Enter a folder name; left empty, the automatic choice is used.', 5_000);
    await settings.getByLabel('Sent folder').selectOption({ label: "Automatic (the server's Sent folder)" });
    await settings.getByLabel('Signature').scrollIntoViewIfNeeded();
    await settings.screenshot({ path: 'test-results/replies-channel-settings.png' });

    await waitForConnected(await testTrustAndCreate(page, dialog));

    const edit = await openEditDialog(page);
    const saved = edit.getByRole('group', { name: 'Inbox Settings' });
    expect(await saved.getByLabel('Signature').inputValue()).toBe(SIGNATURE);
    expect(await saved.getByLabel('Send limit per minute').inputValue()).toBe('30');
    await edit.getByRole('button', { name: 'Cancel' }).click();
    await edit.waitFor({ state: 'detached' });
  });

  it('replies to a customer mail; the reply reaches the customer with Re: subject, signature and threading headers', async () => {
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: /^All\b/ })
      .click();
    await deliver(stack, { from: customer.address, to: support.address, subject, text: `Hello,\n\nmy kettle ${token} arrived broken.\n\nCarol` });
    await row(page, subject).waitFor({ timeout: LONG });
    await row(page, subject).click();
    const region = conversationRegion(page, subject);
    await region.waitFor({ timeout: LONG });
    await seeText(region, /arrived broken/);
    await expect.poll(() => recipientField(region, 'To').inputValue(), { timeout: 10_000 }).toContain(customer.address);
    await seeText(region.locator('.composer-signature'), `Acme Support ${token}`, 10_000);

    await messageBox(region).fill(replyText);
    await messageBox(region).press('Control+Enter');
    await seeText(sendStatus(region), /Sending in \d s/, 10_000);
    const reply = article(region, replyText);
    await badge(reply, 'Sent').waitFor({ timeout: LONG });
    await seeText(sendStatus(region), /^Sent at /, 10_000).catch(() => undefined);

    // "Re: <subject>", possibly followed by the conversation's token, e.g. "[#BEZHAHAW]".
    const copy = await waitForMail(customer, (m) => m.subject.startsWith(`Re: ${subject}`) && m.source.includes(token));
    ourSubject = copy.subject;
    expect(copy.source).toMatch(/^From: .*Acme Support.*<support@auxilium\.test>/im);
    expect(copy.source).toContain(`Acme Support ${token}`);
    expect(copy.source).toMatch(/^In-Reply-To: </im);
    expect(copy.source).not.toMatch(/^Auto-Submitted:/im);
    ourMessageId = copy.messageId;
    expect(ourMessageId).toMatch(/^<.+@.+>$/);

    // The composer is ready for the next message; the draft went with the reply.
    expect(await messageBox(region).inputValue()).toBe('');
    await messageBox(region).fill('Screenshot only — not sent.');
    await page.setViewportSize({ width: 1280, height: 1250 });
    await page.screenshot({ path: 'test-results/replies-conversation.png' });
    await page.setViewportSize({ width: 1280, height: 900 });
    await messageBox(region).fill('');
  });

  it("shows the customer's answer in the same conversation without a reload", async () => {
    const region = conversationRegion(page, subject);
    const answer = `Thanks, the new kettle ${token} works!`;
    await deliver(stack, {
      from: customer.address,
      to: support.address,
      subject: `Re: ${ourSubject}`,
      text: `${answer}\n\nCarol`,
      headers: { 'In-Reply-To': ourMessageId, References: ourMessageId },
    });
    await seeText(region, answer, LONG);
    await seeText(region, replyText);
    // No second conversation for the answer: the list still has just the one row for it.
    expect(
      await page
        .getByRole('list', { name: 'Conversations' })
        .getByRole('link', { name: new RegExp(`kettle ${token}`) })
        .count(),
    ).toBe(1);
  });

  it('Undo within the window sends nothing', async () => {
    const region = conversationRegion(page, subject);
    const undone = `Please ignore ${token} undo`;
    await messageBox(region).fill(undone);
    await region.getByRole('button', { name: 'Send', exact: true }).click();
    await sendStatus(region).getByRole('button', { name: 'Undo' }).click();
    await expect.poll(() => messageBox(region).inputValue(), { timeout: 10_000 }).toBe(undone);
    expect(await article(region, undone).count()).toBe(0);
    await page.waitForTimeout(10_000);
    expect((await readMailbox(customer)).filter((m) => m.source.includes(`${token} undo`))).toHaveLength(0);
    await messageBox(region).fill('');
  });

  it('attaches a file from disk: listed with its size and removable; kept with the draft across a restart; Undo gives it back; the customer receives it (formatted) and the sent reply lists it', async () => {
    const region = conversationRegion(page, subject);
    const manual = { name: `Manual ${token}.pdf`, mimeType: 'application/pdf', buffer: Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(51_191)]) };
    const other = { name: 'not-this-one.txt', mimeType: 'text/plain', buffer: Buffer.from('left out') };
    const text = `The **manual** is attached (${token} files).`;
    const list = region.getByRole('list', { name: 'Attached files' });

    await region.locator('input[type="file"]').setInputFiles([manual, other]);
    await seeText(list, manual.name, 10_000);
    // Removable once stored with the draft.
    await region.getByRole('button', { name: `Remove ${manual.name}` }).waitFor({ timeout: 10_000 });
    await seeText(list.getByRole('listitem').filter({ hasText: manual.name }), '50 KB');
    await page.screenshot({ path: 'test-results/replies-attachments.png' });
    await region.getByRole('button', { name: `Remove ${other.name}` }).click();
    await expect.poll(() => list.getByRole('listitem').count(), { timeout: 5_000 }).toBe(1);
    await messageBox(region).fill(text);
    await seeText(region, 'Draft saved', 10_000);

    // A restart of the host: the file is part of the draft, like the text.
    await app.restart(page);
    await region.waitFor({ timeout: LONG });
    await expect.poll(() => messageBox(region).inputValue(), { timeout: LONG }).toBe(text);
    await region.getByRole('button', { name: `Remove ${manual.name}` }).waitFor({ timeout: LONG });
    expect(await list.getByRole('listitem').count()).toBe(1);

    // Undo: the text and the file come back into the composer.
    await region.getByRole('button', { name: 'Send', exact: true }).click();
    await expect.poll(() => list.count(), { timeout: 5_000 }).toBe(0);
    await sendStatus(region).getByRole('button', { name: 'Undo' }).click();
    await expect.poll(() => messageBox(region).inputValue(), { timeout: 10_000 }).toBe(text);
    await seeText(list, manual.name, 10_000);

    await messageBox(region).press('Control+Enter');
    // The thread shows the reply formatted, as the customer gets it.
    const reply = article(region, `is attached (${token} files)`);
    await badge(reply, 'Sent').waitFor({ timeout: LONG });
    await reply.locator('strong', { hasText: 'manual' }).waitFor();
    await reply.getByRole('link', { name: `Download ${manual.name}` }).waitFor();
    expect(await list.count()).toBe(0);

    const copy = await waitForMail(customer, (m) => m.source.includes(`${token} files`));
    const parsed = await simpleParser(copy.source);
    expect(parsed.attachments.map((a) => a.filename)).toEqual([manual.name]);
    expect(parsed.attachments[0]!.content.equals(manual.buffer)).toBe(true);
    // Typed formatting goes out as an HTML alternative; the text part is as typed.
    expect(parsed.html).toContain('The <strong>manual</strong> is attached');
    expect(parsed.text).toContain(text);
  });

  it('shows a permanent rejection as Failed with cause and fix; Edit puts the text back', async () => {
    const refusedSubject = `Refund please ${token}`;
    // The customer wants answers at an outside domain, which this Postfix refuses to relay to.
    await deliver(stack, {
      from: customer.address,
      to: support.address,
      subject: refusedSubject,
      text: 'Please refund me.',
      headers: { 'Reply-To': stack.relayDeniedRecipient },
    });
    await row(page, refusedSubject).waitFor({ timeout: LONG });
    await row(page, refusedSubject).click();
    const region = conversationRegion(page, refusedSubject);
    await region.waitFor({ timeout: LONG });
    // The preview names the address the reply really goes to: the customer's Reply-To.
    await expect.poll(() => recipientField(region, 'To').inputValue(), { timeout: 10_000 }).toContain(stack.relayDeniedRecipient);
    const text = `Refund on its way ${token}`;
    await messageBox(region).fill(text);
    await messageBox(region).press('Control+Enter');
    const failed = article(region, text);
    await badge(failed, 'Failed').waitFor({ timeout: LONG });
    await seeText(failed, /Relay access denied/i);
    await seeText(failed, 'Likely cause:');
    await seeText(failed, 'How to fix:');
    await seeText(sendStatus(region), /^Not sent: /, 10_000);
    await failed.getByRole('button', { name: 'Retry' }).waitFor();
    await page.screenshot({ path: 'test-results/replies-failed-real.png' });

    await failed.getByRole('button', { name: 'Edit' }).click();
    await expect.poll(() => messageBox(region).inputValue(), { timeout: 10_000 }).toBe(text);
    await failed.waitFor({ state: 'detached', timeout: 10_000 });
    await messageBox(region).fill('');
    await row(page, subject).click();
    await conversationRegion(page, subject).waitFor({ timeout: LONG });
  });

  it('shows a reply all as sent, and names the Cc the server refused with the reason', async () => {
    const ccSubject = `Team question ${token}`;
    await deliver(stack, {
      from: customer.address,
      to: support.address,
      subject: ccSubject,
      text: 'Please answer all of us.',
      headers: { Cc: `${DEFERRED_RECIPIENT}, ${stack.relayDeniedRecipient}` },
    });
    await row(page, ccSubject).waitFor({ timeout: LONG });
    await row(page, ccSubject).click();
    const region = conversationRegion(page, ccSubject);
    await region.waitFor({ timeout: LONG });
    await modeButton(region, 'Reply all').click();
    const text = `Answer for all ${token}`;
    await messageBox(region).fill(text);
    await messageBox(region).press('Control+Enter');
    const sent = article(region, text);
    await badge(sent, 'Sent').waitFor({ timeout: LONG });
    const refused = sent.getByRole('region', { name: 'Recipients who did not get this reply' });
    await seeText(refused, '2 recipients did not get this reply.');
    await seeText(refused, DEFERRED_RECIPIENT);
    await seeText(refused, /address was deferred for now/);
    await seeText(refused, stack.relayDeniedRecipient);
    await seeText(refused, /: Relay access denied\. /);
    await page.screenshot({ path: 'test-results/replies-refused-real.png' });
    await waitForMail(customer, (m) => m.source.includes(text));
    await row(page, subject).click();
    await conversationRegion(page, subject).waitFor({ timeout: LONG });
  });

  it('sets the agent’s own signature in Settings; a reply with a Cc and a Bcc entered in the composer reaches all three, the Bcc in nobody’s headers, with both signatures', async () => {
    const { cc, other } = stack.users;
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('heading', { level: 1, name: 'Settings' }).waitFor();
    await page.getByRole('button', { name: 'Add agent' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add agent' });
    await dialog.getByLabel('Name').fill('Grace Hopper');
    await dialog.getByLabel('Email').fill('grace@auxilium.test');
    await dialog.getByRole('button', { name: 'Add agent' }).click();
    await dialog.waitFor({ state: 'detached', timeout: LONG });
    await page.getByLabel('I am').selectOption({ label: 'Grace Hopper — grace@auxilium.test' });
    const ownSignature = `Grace Hopper ${token}\nSupport lead`;
    await page.getByLabel('Your signature').fill(ownSignature);
    await page.getByRole('button', { name: 'Save signature' }).click();
    await seeText(page.getByRole('status').filter({ hasText: 'Signature saved' }), 'Signature saved', 10_000);

    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: /^All\b/ })
      .click();
    // Replies set the conversation to pending: list every status.
    await page.getByRole('search').getByLabel('Status').selectOption({ label: 'Any' });
    await row(page, subject).click();
    const region = conversationRegion(page, subject);
    await region.waitFor({ timeout: LONG });
    await seeText(region.locator('.composer-signature'), `Grace Hopper ${token}`, 10_000);
    const text = `Copying in a colleague ${token}`;
    await messageBox(region).fill(text);
    await recipientField(region, 'Cc').fill(`Cc Person <${cc.address}>`);
    await recipientField(region, 'Bcc').fill(other.address);
    await messageBox(region).press('Control+Enter');
    await badge(article(region, text), 'Sent').waitFor({ timeout: LONG });

    for (const user of [customer, cc, other]) {
      const copy = await waitForMail(user, (m) => m.source.includes(text));
      const parsed = await simpleParser(copy.source);
      expect(parsed.headers.has('bcc')).toBe(false);
      expect(parsed.to && !Array.isArray(parsed.to) ? parsed.to.text : '').toContain(customer.address);
      expect(parsed.cc && !Array.isArray(parsed.cc) ? parsed.cc.text : '').toContain(cc.address);
      expect(`${parsed.to && !Array.isArray(parsed.to) ? parsed.to.text : ''} ${parsed.cc && !Array.isArray(parsed.cc) ? parsed.cc.text : ''}`).not.toContain(
        other.address,
      );
      // The agent's signature, then the channel's, below the "-- " line.
      const body = parsed.text ?? '';
      expect(body).toContain(`${text}\n\n-- \nGrace Hopper ${token}\nSupport lead\n\nAcme Support ${token}`);
    }
    // The customer's copy does not name the Bcc anywhere.
    expect((await waitForMail(customer, (m) => m.source.includes(text))).source).not.toContain(other.address);
  });

  it('forwards a customer message with its attachment to a third party, from Forward on the message', async () => {
    const { other } = stack.users;
    const forwardSubject = `Warranty claim ${token}`;
    const receipt = {
      filename: `receipt ${token}.pdf`,
      contentType: 'application/pdf',
      content: Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(20_000)]),
    };
    await deliver(stack, {
      from: customer.address,
      to: support.address,
      subject: forwardSubject,
      text: `My receipt for ${token} is attached.`,
      attachments: [receipt],
    });
    await row(page, forwardSubject).waitFor({ timeout: LONG });
    await row(page, forwardSubject).click();
    const region = conversationRegion(page, forwardSubject);
    await region.waitFor({ timeout: LONG });
    const originalMessage = article(region, `My receipt for ${token} is attached.`);
    await originalMessage.getByRole('link', { name: `Download ${receipt.filename}` }).waitFor({ timeout: LONG });
    await originalMessage.getByRole('button', { name: /^Forward/ }).click();
    await seeText(region.locator('.composer-forwarding'), 'with its attachment', 10_000);
    await recipientField(region, 'To').fill(other.address);
    const text = `Please check this claim ${token}`;
    await messageBox(region).fill(text);
    await messageBox(region).press('Control+Enter');
    const forwarded = article(region, text);
    await forwarded.getByText('Forwarded', { exact: true }).waitFor({ timeout: LONG });
    await badge(forwarded, 'Sent').waitFor({ timeout: LONG });

    const copy = await waitForMail(other, (m) => m.subject === `Fwd: ${forwardSubject}`);
    const parsed = await simpleParser(copy.source);
    expect(parsed.inReplyTo).toBeUndefined();
    expect(parsed.text).toContain(text);
    expect(parsed.text).toContain('---------- Forwarded message ----------');
    expect(parsed.text).toContain(`Subject: ${forwardSubject}`);
    expect(parsed.text).toContain(`My receipt for ${token} is attached.`);
    expect(parsed.attachments.map((a) => a.filename)).toEqual([receipt.filename]);
    expect(parsed.attachments[0]!.content.equals(receipt.content)).toBe(true);
    await row(page, subject).click();
    await conversationRegion(page, subject).waitFor({ timeout: LONG });
  });

  it('keeps a draft across a restart of the host', async () => {
    const region = conversationRegion(page, subject);
    const draft = `Half-written answer ${token}`;
    await messageBox(region).fill(draft);
    await seeText(region, 'Draft saved', 10_000);
    await app.restart(page);
    const again = conversationRegion(page, subject);
    await again.waitFor({ timeout: LONG });
    await expect.poll(() => messageBox(again).inputValue(), { timeout: LONG }).toBe(draft);
  });
});
