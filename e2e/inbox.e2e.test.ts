import { randomBytes } from 'node:crypto';
import type { ConsoleMessage, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import MailComposer from 'nodemailer/lib/mail-composer';
import { deliver, withImapSession } from '../test/mailstack/mailstack';
import { addMessage, countsOf, generateConversations, installFakeInbox, type FakeInbox } from './support/fake-inbox';
import { openApp, TestApp } from './support/host';
import { LONG, fillStackChannel, openEditDialog, recordNotifications, seeText, shownNotifications, testTrustAndCreate } from './support/ui';

/** The mail frame may open links in a new window, but never run script or share the app's origin. */
function expectScriptFreeSandbox(sandbox: string | null): void {
  expect(sandbox).not.toBeNull();
  const tokens = sandbox!.split(/\s+/).filter(Boolean);
  expect(tokens).not.toContain('allow-scripts');
  expect(tokens).not.toContain('allow-same-origin');
  expect(tokens).not.toContain('allow-top-navigation');
  expect(tokens).not.toContain('allow-forms');
}

/**
 * The agent inbox. The first part drives the UI against a stand-in for the inbox calls (so it can
 * hold 100,000 conversations and hand-made hostile messages); the second runs the real thing: a mail
 * sent through Postfix reaches the inbox of a channel created in the UI, and what agents change
 * survives a restart.
 */

const stack = inject('mailstack');
const support = stack.users.support;
const customer = stack.users.customer;
const token = randomBytes(4).toString('hex');

const HOSTILE_HTML =
  `<html><head><style>p{color:#123456}</style></head><body><p>Hello from HTML ${token}</p>` +
  `<script>window.parent.document.title='pwned'</script>` +
  `<img src=x onerror="window.parent.document.title='pwned'">` +
  `<img src="https://tracker.example/pixel-${token}.png" alt="tracking pixel">` +
  `<a href="https://example.com/help">Help centre</a>` +
  `<form action="https://evil.example/"><input name="card"><button>Send</button></form></body></html>`;

/** Console errors that would mean mail script ran (or tried to): none of them may appear. */
function scriptErrors(messages: ConsoleMessage[]): string[] {
  return messages
    .filter((m) => m.type() === 'error')
    .map((m) => m.text())
    .filter((text) => /pwned|script|inline event handler|Blocked script execution/i.test(text));
}

function conversationRegion(page: Page, subject: string) {
  return page.getByRole('region', { name: subject, exact: true });
}

function row(page: Page, subject: string) {
  return page.getByRole('list', { name: 'Conversations' }).getByRole('link', { name: new RegExp(subject.replace(/[#.*+?^${}()|[\]\\]/g, '\\$&')) });
}

/** A 1×1 PNG. */
const LOGO_DATA_URL = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

describe('Inbox UI (stand-in host)', () => {
  let pictured: { id: number };
  let app: TestApp;
  let page: Page;
  let inbox: FakeInbox;
  const consoleMessages: ConsoleMessage[] = [];

  beforeAll(async () => {
    app = await TestApp.start();
    const context = await app.browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.on('console', (m) => consoleMessages.push(m));
    await recordNotifications(page);
    inbox = await installFakeInbox(page, generateConversations(100_000), {
      handlers: () => ({
        'messages:get-inline-images': (input) => (input.id === pictured.id ? [{ contentId: 'logo@acme.test', dataUrl: LOGO_DATA_URL }] : []),
      }),
    });
    inbox.agents.push({ id: 1, name: 'Ada Lovelace', email: 'ada@auxilium.test' }, { id: 2, name: 'Grace Hopper', email: 'grace@auxilium.test' });
    inbox.meAgentId = 1;
    const first = inbox.conversations[0]!;
    addMessage(inbox, first.id, {
      text: 'Hi,\n\nmy parcel has not arrived. See <b>this</b> https://example.com/track\n\nThanks',
      cc: [{ name: 'Boss', address: 'boss@example.com' }],
      attachments: [{ id: 1, filename: 'invoice.pdf', contentType: 'application/pdf', size: 48_213, inline: false }],
    });
    addMessage(inbox, first.id, { kind: 'auto-reply', text: '', html: HOSTILE_HTML, date: new Date(Date.parse(first.lastMessageAt) + 60_000).toISOString() });
    const broken = addMessage(inbox, first.id, {
      text: '',
      parseError: 'Parsing timed out',
      date: new Date(Date.parse(first.lastMessageAt) + 120_000).toISOString(),
    });
    inbox.raw.set(broken.id, 'Subject: broken\r\nContent-Type: multipart/mixed; boundary="zz"\r\n\r\n--zz\r\nraw body text');
    // Direction controls that make a name, subject or file name read as something else.
    const spoofed = inbox.conversations[2]!;
    spoofed.subject = `${spoofed.subject} refund \u202Efdp.exe`;
    spoofed.customer = { name: 'Alice \u202Etset.tnaw@\u202C', address: 'mallory@evil.test' };
    addMessage(inbox, spoofed.id, {
      from: spoofed.customer,
      attachments: [{ id: 2, filename: 'invoice\u202Efdp.exe', contentType: 'application/octet-stream', size: 10, inline: false }],
    });
    pictured = addMessage(inbox, inbox.conversations[3]!.id, {
      html: '<p>Our logo:</p><img src="cid:logo%40acme.test" alt="Logo"><img src="cid:missing@acme.test" alt="Missing">',
      attachments: [{ id: 3, filename: 'logo.png', contentType: 'image/png', size: 68, inline: true }],
    });
    await page.goto(`${app.host.url}#/inbox/all`);
    // These checks cover every status; the default (open and pending) has its own tests in triage.e2e.test.ts.
    await page.getByLabel('Status').selectOption({ label: 'Any' });
  });

  afterAll(async () => {
    await app?.close();
  });

  it('shows the views with counts in the sidebar', async () => {
    const nav = page.getByRole('navigation', { name: 'Main' });
    const counts = countsOf(inbox);
    await nav.getByRole('link', { name: `All ${counts.unread.all} unread ${counts.all} open`, exact: true }).waitFor();
    await nav.getByRole('link', { name: `Unassigned ${counts.unread.unassigned} unread ${counts.unassigned} open`, exact: true }).waitFor();
    await nav.getByRole('link', { name: 'Mine 0 open', exact: true }).waitFor();
    await page.getByRole('status').filter({ hasText: '100,000 conversations' }).waitFor();
  });

  it('pages through 100,000 conversations as it scrolls, with only the visible rows in the page', async () => {
    await row(page, 'Order question #100000').waitFor();
    const scroller = page.locator('.list-scroll');
    // Scroll like a reader dragging down: the list grows a page at a time as the end comes near.
    const target = row(page, 'Order question #98500');
    for (let i = 0; i < 300 && (await target.count()) === 0; i++) {
      await scroller.evaluate((el) => el.scrollBy(0, 2000));
      await page.waitForTimeout(25);
    }
    await target.waitFor();
    const lists = inbox.calls.filter((c) => c.channel === 'conversations:list');
    expect(lists.length).toBeGreaterThan(1);
    expect(lists.length).toBeLessThan(40);
    expect(Math.max(...lists.map((c) => Number(c.input.limit ?? 100)))).toBeLessThanOrEqual(500);
    expect(await page.getByRole('listitem').count()).toBeLessThan(60);
    await scroller.evaluate((el) => el.scrollTo(0, 0));
  });

  it('marks unread rows with a dot named "Unread"', async () => {
    const unread = row(page, 'Order question #99996');
    await unread.waitFor();
    expect(await unread.getByRole('img', { name: 'Unread' }).count()).toBe(1);
    expect(await row(page, 'Order question #99999').getByRole('img', { name: 'Unread' }).count()).toBe(0);
  });

  it('searches as the user types', async () => {
    const search = page.getByRole('searchbox', { name: 'Search' });
    await search.fill('question #4242');
    await row(page, 'Order question #42424').waitFor();
    const sent = inbox.calls.filter((c) => c.channel === 'conversations:list' && c.input.query === 'question #4242');
    expect(sent.length).toBe(1);
    await search.fill('no-such-words');
    await page.getByText('No conversations match your search.').waitFor();
    await search.fill('');
    await row(page, 'Order question #100000').waitFor();
  });

  it('opens a conversation: thread with To/Cc, attachments, badges, raw text for unreadable mail', async () => {
    await row(page, 'Order question #100000').click();
    const region = conversationRegion(page, 'Order question #100000');
    await region.waitFor();
    await seeText(region, /my parcel has not arrived/);
    // Plain text stays text: the tag is shown, not rendered.
    await seeText(region, 'See <b>this</b>', 5_000);
    await seeText(region, 'Boss <boss@example.com>');
    await seeText(region, 'invoice.pdf');
    await seeText(region, '47 KB');
    await seeText(region, 'Auto-reply');
    await seeText(region, 'This message could not be read; shown as received');
    await seeText(region, 'raw body text');
    expect(page.url()).toMatch(/#\/inbox\/c\/100000$/);
  });

  it('shows names, subjects and file names without the direction controls that disguise them', async () => {
    const spoofed = inbox.conversations[2]!;
    const listed = row(page, `Order question #${spoofed.id} refund`);
    await listed.click();
    const region = page.getByRole('region', { name: new RegExp(`Order question #${spoofed.id}`) });
    await seeText(region, 'invoicefdp.exe', 5_000);
    const controls = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
    for (const text of [await listed.innerText(), await region.innerText()]) {
      expect(text).not.toMatch(controls);
    }
    expect(await region.innerText()).toContain('refund fdp.exe');
    expect(await region.innerText()).toContain('Alice tset.tnaw@ <mallory@evil.test>');
    await row(page, 'Order question #100000').click();
  });

  it('shows the pictures an HTML mail names by cid: inside the sandboxed frame, and lists them for download', async () => {
    const c = inbox.conversations[3]!;
    await row(page, c.subject).click();
    const region = conversationRegion(page, c.subject);
    const frame = region.locator('iframe');
    await frame.waitFor();
    await expect.poll(async () => (await frame.getAttribute('srcdoc')) ?? '', { timeout: 5_000 }).toContain(`src="${LOGO_DATA_URL}"`);
    const srcdoc = (await frame.getAttribute('srcdoc')) ?? '';
    // The strict CSP stays: data: pictures only, nothing remote.
    expect(srcdoc).toContain('img-src data: cid:');
    expect(srcdoc).toContain('src="cid:missing@acme.test"');
    // The picture loads after the frame's document is set: shown means loaded with its size (a
    // broken one never gets one). decode() is not used: Chromium under load rejected it with
    // EncodingError for a picture that then showed.
    const logo = frame.contentFrame().locator('img[alt="Logo"]');
    await expect
      .poll(() => logo.evaluate((img: HTMLImageElement) => `${img.complete} ${img.naturalWidth}x${img.naturalHeight}`), { timeout: 15_000 })
      .toBe('true 1x1');
    await seeText(region, 'logo.png', 5_000);
    await seeText(region, 'in the message', 5_000);
    await region.getByRole('link', { name: 'Download logo.png', exact: true }).waitFor();
    await row(page, 'Order question #100000').click();
  });

  it('shows HTML mail sanitised in a script-free sandbox: no script runs, remote content only on request', async () => {
    await row(page, 'Order question #100000').click();
    const region = conversationRegion(page, 'Order question #100000');
    const frame = region.locator('iframe');
    await frame.waitFor();
    expectScriptFreeSandbox(await frame.getAttribute('sandbox'));
    const srcdoc = (await frame.getAttribute('srcdoc')) ?? '';
    expect(srcdoc).toContain(`Hello from HTML ${token}`);
    expect(srcdoc).not.toMatch(/<script|onerror|<form|<input/i);
    expect(srcdoc).toContain(`img-src data: cid:`);
    expect(srcdoc).toMatch(/<a [^>]*target="_blank"[^>]*rel="noopener noreferrer"/);
    await page.waitForTimeout(500);
    expect(await page.title()).toBe('Auxilium');
    expect(scriptErrors(consoleMessages)).toEqual([]);

    await region.getByRole('button', { name: 'Load remote content' }).click();
    await expect.poll(async () => (await frame.getAttribute('srcdoc')) ?? '').toContain('img-src https: http: data:');
    expect(await region.getByRole('button', { name: 'Load remote content' }).count()).toBe(0);
    expect(await page.title()).toBe('Auxilium');
  });

  it('sets status and assignee, and adds an internal note', async () => {
    const region = conversationRegion(page, 'Order question #100000');
    await region.getByLabel('Status').selectOption({ label: 'Pending' });
    await region.getByLabel('Assignee').selectOption({ label: 'Ada Lovelace (Me)' });
    await seeText(row(page, 'Order question #100000'), 'Ada Lovelace (Me)');
    await seeText(row(page, 'Order question #100000'), 'Pending');

    // One composer: choose Note (the other modes are Reply and Reply all).
    await region.getByRole('group', { name: 'Compose' }).getByRole('button', { name: 'Note', exact: true }).click();
    await region.getByRole('button', { name: 'Add note' }).click();
    await seeText(region, 'Write a note first', 5_000);
    await region.getByLabel('Note', { exact: true }).fill('Called the customer back.');
    await region.getByRole('button', { name: 'Add note' }).click();
    const note = region.getByRole('article').filter({ hasText: 'Called the customer back.' });
    await note.waitFor();
    await seeText(note, 'Internal note');
  });

  it('adds new conversations live from the change event', async () => {
    const fresh = {
      ...inbox.conversations[1]!,
      id: 100_001,
      subject: `Brand new ${token}`,
      lastMessageAt: new Date().toISOString(),
      unread: true,
      status: 'open' as const,
    };
    inbox.conversations.unshift(fresh);
    inbox.emit('conversations:changed', { ids: [fresh.id], created: [fresh.id] });
    await row(page, `Brand new ${token}`).waitFor({ timeout: 10_000 });
    const counts = countsOf(inbox);
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: `All ${counts.unread.all} unread ${counts.all} open`, exact: true })
      .waitFor();
    await expect.poll(() => shownNotifications(page)).toEqual([{ title: 'New conversation', body: `Customer 99999: Brand new ${token}` }]);
    await page.screenshot({ path: 'test-results/inbox-stand-in.png' });
  });
});

describe('Inbox end to end (real mail)', () => {
  let app: TestApp;
  let page: Page;
  const consoleMessages: ConsoleMessage[] = [];
  const subject = `Where is my parcel ${token}`;
  const bodyWord = `zebrafinch${token}`;
  const htmlSubject = `HTML newsletter ${token}`;

  beforeAll(async () => {
    app = await TestApp.start();
    ({ page } = await openApp(app.browser, app.host.url));
    page.on('console', (m) => consoleMessages.push(m));
  });

  afterAll(async () => {
    await app?.close();
  });

  it('adds agents in Settings and says who the user is', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('heading', { level: 1, name: 'Settings' }).waitFor();
    for (const agent of [
      { name: 'Ada Lovelace', email: 'ada@auxilium.test' },
      { name: 'Grace Hopper', email: 'grace@auxilium.test' },
    ]) {
      await page.getByRole('button', { name: 'Add agent' }).click();
      const dialog = page.getByRole('dialog', { name: 'Add agent' });
      await dialog.getByLabel('Name').fill(agent.name);
      await dialog.getByLabel('Email').fill('not-an-address');
      await dialog.getByRole('button', { name: 'Add agent' }).click();
      await seeText(dialog, 'Enter an email address like agent@example.com', 5_000);
      await dialog.getByLabel('Email').fill(agent.email);
      await dialog.getByRole('button', { name: 'Add agent' }).click();
      await dialog.waitFor({ state: 'detached', timeout: LONG });
      await page.getByRole('listitem', { name: agent.name }).waitFor();
    }
    // Edit and delete work on a third one.
    await page.getByRole('button', { name: 'Add agent' }).click();
    const adding = page.getByRole('dialog', { name: 'Add agent' });
    await adding.getByLabel('Name').fill('Temp Agent');
    await adding.getByLabel('Email').fill('temp@auxilium.test');
    await adding.getByRole('button', { name: 'Add agent' }).click();
    await page.getByRole('listitem', { name: 'Temp Agent' }).waitFor();
    await page.getByRole('button', { name: 'Edit Temp Agent' }).click();
    const editing = page.getByRole('dialog', { name: 'Edit agent' });
    await editing.getByLabel('Name').fill('');
    await editing.getByRole('button', { name: 'Save' }).click();
    await seeText(editing, 'Name is required', 5_000);
    await editing.getByLabel('Name').fill('Temporary Agent');
    await editing.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('listitem', { name: 'Temporary Agent' }).waitFor({ timeout: LONG });
    await page.getByRole('button', { name: 'Delete Temporary Agent' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Delete', exact: true }).click();
    await page.getByRole('listitem', { name: 'Temporary Agent' }).waitFor({ state: 'detached', timeout: LONG });

    await page.getByLabel('I am').selectOption({ label: 'Ada Lovelace — ada@auxilium.test' });
    await page.getByRole('listitem', { name: 'Ada Lovelace' }).getByText('Me', { exact: true }).waitFor();
  });

  it('creates the channel in the UI', async () => {
    const dialog = await fillStackChannel(page, stack, support);
    const inboxSettings = dialog.getByRole('group', { name: 'Inbox Settings' });
    expect(await inboxSettings.getByLabel('Mark imported mail as read on the server').isChecked()).toBe(false);
    expect(await inboxSettings.getByLabel('Poll interval (seconds)').inputValue()).toBe('60');
    expect(await inboxSettings.getByLabel('Import existing mail').inputValue()).toBe('14-days');
    await inboxSettings.getByLabel('Poll interval (seconds)').fill('30');

    await testTrustAndCreate(page, dialog);

    // The inbox settings were kept; the initial import is a choice made only when creating.
    const edit = await openEditDialog(page);
    const saved = edit.getByRole('group', { name: 'Inbox Settings' });
    expect(await saved.getByLabel('Poll interval (seconds)').inputValue()).toBe('30');
    expect(await saved.getByLabel('Import existing mail').count()).toBe(0);
    await edit.getByRole('button', { name: 'Cancel' }).click();
    await edit.waitFor({ state: 'detached' });
  });

  it('shows a mail sent to the support address in All and Unassigned without a reload', async () => {
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: /^All\b/ }).click();
    await page.getByRole('heading', { level: 1, name: /Inbox/ }).waitFor();
    await deliver(stack, {
      from: customer.address,
      to: support.address,
      subject,
      text: `Hello,\n\nmy parcel with the ${bodyWord} figurine has not arrived.\n\nRegards`,
    });
    await row(page, subject).waitFor({ timeout: LONG });
    expect(await row(page, subject).getByRole('img', { name: 'Unread' }).count()).toBe(1);
    await nav.getByRole('link', { name: /^Unassigned [1-9]\d* unread [1-9]\d* open$/ }).waitFor({ timeout: LONG });

    await nav.getByRole('link', { name: /^Unassigned\b/ }).click();
    await row(page, subject).waitFor({ timeout: LONG });
  });

  it('opens the conversation and shows the body', async () => {
    await row(page, subject).click();
    const region = conversationRegion(page, subject);
    await region.waitFor({ timeout: LONG });
    await seeText(region, new RegExp(`${bodyWord} figurine has not arrived`));
    await seeText(region, customer.address);
    // Opening marked it read.
    await expect.poll(() => row(page, subject).getByRole('img', { name: 'Unread' }).count(), { timeout: 10_000 }).toBe(0);
  });

  it('says when the mail was answered outside Auxilium, and shows a reply from another mail client', async () => {
    const region = conversationRegion(page, subject);
    // Someone answers from their phone: its client flags the customer's mail \\Answered ...
    const question = await withImapSession(stack, support, async (client) => {
      const lock = await client.getMailboxLock('INBOX');
      try {
        const uids = await client.search({ subject }, { uid: true });
        const uid = Math.max(...(uids || []));
        await client.messageFlagsAdd(String(uid), ['\\Answered'], { uid: true });
        const found = await client.fetchOne(String(uid), { envelope: true }, { uid: true });
        return found ? found.envelope!.messageId! : '';
      } finally {
        lock.release();
      }
    });
    const notice = region.getByRole('note').filter({ hasText: 'Answered outside Auxilium' });
    await notice.waitFor({ timeout: LONG });
    // ... and its copy reaches the Sent folder later: the reply shows, and the notice goes.
    const raw = await new MailComposer({
      from: `Support <${support.address}>`,
      to: customer.address,
      subject: `Re: ${subject}`,
      text: `The ${bodyWord} parcel left today.`,
      inReplyTo: question,
      references: [question],
    })
      .compile()
      .build();
    await withImapSession(stack, support, (client) => client.append('Sent', raw, ['\\Seen']));
    const reply = region.getByRole('article').filter({ hasText: `The ${bodyWord} parcel left today.` });
    await reply.getByText('Sent from another mail client', { exact: true }).waitFor({ timeout: LONG });
    await notice.waitFor({ state: 'detached', timeout: LONG });
  });

  it('finds it by a word in the body', async () => {
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: /^All\b/ })
      .click();
    const search = page.getByRole('searchbox', { name: 'Search' });
    await search.fill(bodyWord);
    await row(page, subject).waitFor({ timeout: LONG });
    await search.fill(`nothing${token}matches`);
    await page.getByText('No conversations match your search.').waitFor({ timeout: LONG });
    // Only punctuation or emoji: nothing searchable, so nothing found (not everything).
    for (const nothing of ['?!', '😀']) {
      await search.fill('');
      await row(page, subject).waitFor({ timeout: LONG });
      await search.fill(nothing);
      await page.getByText('No conversations match your search.').waitFor({ timeout: LONG });
    }
    // Pasting more than the box takes keeps the first 500 characters and still searches.
    await search.fill('');
    await row(page, subject).waitFor({ timeout: LONG });
    await search.focus();
    await page.keyboard.insertText(`${bodyWord} ${'x'.repeat(700)}`);
    expect((await search.inputValue()).length).toBe(500);
    await page.getByText('No conversations match your search.').waitFor({ timeout: LONG });
    expect(await page.getByText(/at most 500 characters/).count()).toBe(0);
    await search.fill('');
    await row(page, subject).waitFor({ timeout: LONG });
  });

  it('sets status Pending and assigns it to an agent', async () => {
    await row(page, subject).click();
    const region = conversationRegion(page, subject);
    await region.waitFor({ timeout: LONG });
    await region.getByLabel('Status').selectOption({ label: 'Pending' });
    await region.getByLabel('Assignee').selectOption({ label: 'Grace Hopper' });
    await seeText(row(page, subject), 'Pending');
    await seeText(row(page, subject), 'Grace Hopper');
    await region.getByRole('group', { name: 'Compose' }).getByRole('button', { name: 'Note', exact: true }).click();
    await region.getByLabel('Note', { exact: true }).fill(`Asked the courier ${token}`);
    await region.getByRole('button', { name: 'Add note' }).click();
    await seeText(region, `Asked the courier ${token}`);
    await page.screenshot({ path: 'test-results/inbox-conversation.png' });
  });

  it('keeps status, assignee and note after a restart of the host', async () => {
    await app.restart(page);
    const region = conversationRegion(page, subject);
    await region.waitFor({ timeout: LONG });
    await expect.poll(() => region.getByLabel('Status').inputValue(), { timeout: LONG }).toBe('pending');
    const assignee = region.getByLabel('Assignee');
    await expect
      .poll(async () => assignee.evaluate((el: HTMLSelectElement) => el.selectedOptions[0]?.textContent ?? ''), { timeout: LONG })
      .toBe('Grace Hopper');
    await seeText(region, `Asked the courier ${token}`);
    await seeText(region, 'Internal note');
  });

  it('never runs script from an HTML mail', async () => {
    await deliver(stack, { from: customer.address, to: support.address, subject: htmlSubject, html: HOSTILE_HTML });
    await row(page, htmlSubject).waitFor({ timeout: LONG });
    await row(page, htmlSubject).click();
    const region = conversationRegion(page, htmlSubject);
    const frame = region.locator('iframe');
    await frame.waitFor({ timeout: LONG });
    expectScriptFreeSandbox(await frame.getAttribute('sandbox'));
    const srcdoc = (await frame.getAttribute('srcdoc')) ?? '';
    expect(srcdoc).toContain(`Hello from HTML ${token}`);
    expect(srcdoc).not.toMatch(/<script|onerror|<form/i);
    await page.waitForTimeout(1000);
    expect(await page.title()).toBe('Auxilium');
    expect(scriptErrors(consoleMessages)).toEqual([]);
  });

  it('with the channel’s opt-in, deleting (after the confirmation) moves the customer’s mail from INBOX to Trash on the server', async () => {
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: /^Channels/ }).click();
    const edit = await openEditDialog(page);
    const settings = edit.getByRole('group', { name: 'Inbox Settings' });
    const optIn = settings.getByLabel("Move the customer's mail of deleted conversations to the Trash folder");
    expect(await optIn.isChecked()).toBe(false);
    await optIn.check();
    expect(await settings.getByRole('textbox', { name: 'Trash folder' }).inputValue()).toBe('');
    await edit.getByRole('button', { name: 'Save', exact: true }).click();
    await edit.waitFor({ state: 'detached', timeout: LONG });

    await nav.getByRole('link', { name: /^All\b/ }).click();
    await row(page, htmlSubject).click();
    await conversationRegion(page, htmlSubject).waitFor({ timeout: LONG });
    await page.keyboard.press('#');
    const dialog = page.getByRole('alertdialog', { name: `Delete “${htmlSubject}”?` });
    await seeText(dialog, 'also moved to the Trash folder on the server');
    await dialog.getByRole('button', { name: 'Delete', exact: true }).click();
    await row(page, htmlSubject).waitFor({ state: 'detached', timeout: LONG });

    const onServer = () =>
      withImapSession(stack, support, async (client) => {
        const count = async (folder: string) => {
          const lock = await client.getMailboxLock(folder, { readOnly: true });
          try {
            const found = await client.search({ subject: htmlSubject }, { uid: true });
            return Array.isArray(found) ? found.length : 0;
          } finally {
            lock.release();
          }
        };
        return `INBOX ${await count('INBOX')}, Trash ${await count('Trash')}`;
      });
    await expect.poll(onServer, { timeout: LONG }).toBe('INBOX 0, Trash 1');
    await nav.getByRole('link', { name: /^Deleted/ }).click();
    await row(page, htmlSubject).waitFor({ timeout: LONG });
  });
});
