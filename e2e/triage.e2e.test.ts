import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMessage, countsOf, generateConversations, installFakeInbox, type FakeInbox } from './support/fake-inbox';
import { fakeChannel, outboxHandlers, type FakeOutbox } from './support/fake-outbox';
import { TestApp } from './support/host';
import { recordNotifications, shownNotifications } from './support/ui';

/**
 * An agent's day in the inbox: the queue (closed out of the way, closing moves on), triage by
 * keyboard, bulk actions on a multi-selection, and failures that cannot be missed. Driven against
 * the stand-in inbox host (e2e/support/fake-inbox.ts), so every state can be made on demand; the
 * channel it lists is disabled, so a waiting reply is a held one.
 */

function list(page: Page): Locator {
  return page.getByRole('list', { name: 'Conversations' });
}

function row(page: Page, subject: string): Locator {
  return list(page).getByRole('link', { name: new RegExp(`${subject.replace(/[#.*+?^${}()|[\]\\]/g, '\\$&')}\\b`) });
}

function subjectOf(id: number): string {
  return `Order question #${id}`;
}

/** The hash's conversation id, or null when none is open. */
async function openId(page: Page): Promise<number | null> {
  const match = /#\/inbox\/c\/(\d+)$/.exec(page.url());
  return match ? Number(match[1]) : null;
}

async function focusedDescription(page: Page): Promise<string> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el) return '';
    return `${el.tagName.toLowerCase()}#${el.id}[${el.getAttribute('aria-label') ?? el.textContent?.slice(0, 40) ?? ''}]`;
  });
}

describe('Agent triage (stand-in host)', () => {
  let app: TestApp;
  let page: Page;
  let inbox: FakeInbox;
  const outbox: FakeOutbox = { drafts: new Map(), files: new Map(), sent: [], cancelled: [], scheduled: new Set() };
  /** Ids in list order (newest first): 30 conversations, open / pending / closed by id % 3. */
  let ids: number[];
  const visible = () => inbox.conversations.filter((c) => c.status !== 'closed' && !c.bin).map((c) => c.id);

  beforeAll(async () => {
    app = await TestApp.start();
    const context = await app.browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    await recordNotifications(page);
    const base = fakeChannel('fake-channel', '');
    // Deleting here also moves the customer's mail to the server's Trash (the confirmation says so).
    const disabled = { ...base, enabled: false, inbox: { ...base.inbox, trashOnDelete: true } };
    inbox = await installFakeInbox(page, generateConversations(30), { handlers: outboxHandlers(outbox, [disabled]) });
    inbox.agents.push({ id: 1, name: 'Ada Lovelace', email: 'ada@auxilium.test' }, { id: 2, name: 'Grace Hopper', email: 'grace@auxilium.test' });
    inbox.meAgentId = 1;
    ids = inbox.conversations.map((c) => c.id);
    await page.goto(`${app.host.url}#/inbox/unassigned`);
    await row(page, subjectOf(visible()[0]!)).waitFor();
  });

  afterAll(async () => {
    await app?.close();
  });

  it('shows open and pending conversations by default, closed ones one click away', async () => {
    const closed = inbox.conversations.find((c) => c.status === 'closed')!;
    const pending = inbox.conversations.find((c) => c.status === 'pending')!;
    await row(page, subjectOf(pending.id)).waitFor();
    expect(await row(page, subjectOf(closed.id)).count()).toBe(0);
    await page
      .getByRole('status')
      .filter({ hasText: `${visible().length} conversations` })
      .waitFor();

    await page.getByRole('button', { name: 'Show closed' }).click();
    await row(page, subjectOf(closed.id)).waitFor();
    expect(await row(page, subjectOf(pending.id)).count()).toBe(0);
    await page.getByRole('button', { name: 'Show open & pending' }).click();
    await row(page, subjectOf(pending.id)).waitFor();
  });

  it('moves through the queue with j and k, opens with o, and e closes and goes on to the next', async () => {
    await page.locator('body').press('o');
    const [first, second, third] = visible();
    await expect.poll(() => openId(page)).toBe(first);
    await page.getByRole('region', { name: subjectOf(first!), exact: true }).waitFor();
    await page.keyboard.press('j');
    await expect.poll(() => openId(page)).toBe(second);
    await page.keyboard.press('j');
    await expect.poll(() => openId(page)).toBe(third);
    await page.keyboard.press('k');
    await expect.poll(() => openId(page)).toBe(second);

    await page.keyboard.press('e');
    // Closed, out of the queue, and the reading pane is on the next one.
    await expect.poll(() => openId(page)).toBe(third);
    await page.getByRole('region', { name: subjectOf(third!), exact: true }).waitFor();
    await row(page, subjectOf(second!)).waitFor({ state: 'detached' });
    expect(inbox.conversations.find((c) => c.id === second)!.status).toBe('closed');
  });

  it('r, a and n open the composer in their mode; keys typed in a field stay text', async () => {
    const region = page.getByRole('region', { name: subjectOf((await openId(page))!), exact: true });
    await page.keyboard.press('n');
    const note = region.getByRole('textbox', { name: 'Note', exact: true });
    await expect.poll(() => note.evaluate((el) => el === document.activeElement)).toBe(true);
    const before = await openId(page);
    await page.keyboard.type('just jotting');
    expect(await note.inputValue()).toBe('just jotting');
    expect(await openId(page)).toBe(before);
    await note.fill('');

    // Escape leaves the field; the keys are commands again.
    await page.keyboard.press('Escape');
    await page.keyboard.press('r');
    const message = region.getByRole('textbox', { name: 'Message', exact: true });
    await expect.poll(() => message.evaluate((el) => el === document.activeElement)).toBe(true);
    expect(await region.getByRole('button', { name: 'Reply', exact: true }).getAttribute('aria-pressed')).toBe('true');
    await page.keyboard.press('Escape');
    await page.keyboard.press('a');
    expect(await region.getByRole('button', { name: 'Reply all', exact: true }).getAttribute('aria-pressed')).toBe('true');
  });

  it('/ goes to search and ? lists the shortcuts', async () => {
    await page.keyboard.press('Escape');
    await page.keyboard.press('/');
    const search = page.getByRole('searchbox', { name: 'Search' });
    await expect.poll(() => search.evaluate((el) => el === document.activeElement)).toBe(true);
    await page.keyboard.type('?');
    expect(await search.inputValue()).toBe('?');
    await search.fill('');
    await page.keyboard.press('Escape');
    await page.keyboard.press('?');
    const dialog = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await dialog.waitFor();
    for (const action of ['Next conversation', 'Reply all', 'Add a note', 'Search']) await dialog.getByText(action, { exact: false }).first().waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  });

  it('makes the list one Tab stop with arrow keys inside it', async () => {
    const current = (await openId(page))!;
    const open = row(page, subjectOf(current));
    await open.focus();
    await page.keyboard.press('ArrowDown');
    const next = visible()[visible().indexOf(current) + 1]!;
    await expect.poll(() => row(page, subjectOf(next)).evaluate((el) => el === document.activeElement)).toBe(true);
    // From the row, Tab leaves the list: a few presses reach the conversation's Status control.
    let presses = 0;
    while (presses < 15 && !(await focusedDescription(page)).startsWith('select#conversation-status')) {
      await page.keyboard.press('Tab');
      presses += 1;
    }
    expect(await focusedDescription(page)).toMatch(/^select#conversation-status/);
    expect(presses).toBeLessThanOrEqual(6);
    // And Shift+Tab back lands on the row the agent left, not the first one.
    await row(page, subjectOf(next)).focus();
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Tab');
    await expect.poll(() => row(page, subjectOf(next)).evaluate((el) => el === document.activeElement)).toBe(true);
  });

  it('selects with checkbox, Shift-click and Ctrl-click, then marks unread, assigns and closes in bulk', async () => {
    for (const c of inbox.conversations) c.unread = false;
    await page.goto(`${app.host.url}#/inbox/all`);
    const rows = visible().slice(0, 5);
    await row(page, subjectOf(rows[0]!)).waitFor();
    await list(page)
      .getByRole('checkbox', { name: `Select ${subjectOf(rows[0]!)}` })
      .click();
    await row(page, subjectOf(rows[2]!)).click({ modifiers: ['Shift'] });
    await row(page, subjectOf(rows[4]!)).click({ modifiers: ['Control'] });
    const toolbar = page.getByRole('toolbar', { name: 'Bulk actions' });
    await toolbar.getByText('4 selected').waitFor();
    // Shift/Ctrl-click selected; nothing was opened.
    expect(await openId(page)).toBeNull();

    await toolbar.getByRole('button', { name: 'Mark unread' }).click();
    for (const id of [rows[0], rows[1], rows[2], rows[4]]) await row(page, subjectOf(id!)).getByRole('img', { name: 'Unread' }).waitFor();
    expect(await row(page, subjectOf(rows[3]!)).getByRole('img', { name: 'Unread' }).count()).toBe(0);
    await toolbar.getByText('Select all').waitFor();

    // Keyboard: x selects the focused row, arrow keys move.
    await row(page, subjectOf(rows[0]!)).focus();
    await page.keyboard.press('x');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('x');
    await toolbar.getByText('2 selected').waitFor();
    await toolbar.getByLabel('Assign selected to').selectOption({ label: 'Grace Hopper' });
    await row(page, subjectOf(rows[0]!)).getByText('Grace Hopper').waitFor();
    await row(page, subjectOf(rows[1]!)).getByText('Grace Hopper').waitFor();
    expect(
      inbox.conversations
        .filter((c) => c.assigneeId === 2)
        .map((c) => c.id)
        .sort(),
    ).toEqual([rows[0], rows[1]].sort());

    await row(page, subjectOf(rows[0]!)).focus();
    await page.keyboard.press('x');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('x');
    await page.keyboard.press('e');
    await row(page, subjectOf(rows[0]!)).waitFor({ state: 'detached' });
    await row(page, subjectOf(rows[1]!)).waitFor({ state: 'detached' });
    const update = inbox.calls.filter((c) => c.channel === 'conversations:update-many').at(-1)!;
    expect(update.input).toEqual({ ids: [rows[0], rows[1]], patch: { status: 'closed' } });
  });

  it('deletes with # only after a confirmation that keeps the focus, then restores from Deleted', async () => {
    await page.goto(`${app.host.url}#/inbox/all`);
    const [target, next] = visible();
    await row(page, subjectOf(target!)).click();
    await page.getByRole('region', { name: subjectOf(target!), exact: true }).waitFor();
    const deleteCalls = () =>
      inbox.calls.filter((c) => c.channel === 'conversations:update-many' && (c.input.patch as { bin?: unknown }).bin !== undefined).length;
    const before = deleteCalls();

    await page.keyboard.press('#');
    const dialog = page.getByRole('alertdialog', { name: `Delete “${subjectOf(target!)}”?` });
    await dialog.waitFor();
    await dialog.getByText('goes to Deleted').waitFor();
    await dialog.getByText('also moved to the Trash folder on the server').waitFor();
    // Cancel has the focus first, and Tab never reaches the page behind the dialog (past its last
    // button focus leaves the page for the browser, as with every modal dialog, then comes back).
    expect(await focusedDescription(page)).toMatch(/^button#\[Cancel/);
    const places: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      await page.keyboard.press('Tab');
      places.push(
        await page.evaluate(() => {
          const el = document.activeElement;
          if (!el || el === document.body) return 'outside the page';
          return el.closest('dialog[open]') ? `dialog: ${el.textContent}` : `page behind: ${el.outerHTML.slice(0, 80)}`;
        }),
      );
    }
    expect(places.filter((p) => p.startsWith('page behind'))).toEqual([]);
    expect(places).toContain('dialog: Delete');
    expect(places).toContain('dialog: Cancel');
    // Escape deletes nothing.
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(deleteCalls()).toBe(before);
    expect(inbox.conversations.find((c) => c.id === target)!.bin).toBeUndefined();

    await page.keyboard.press('#');
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await dialog.waitFor({ state: 'detached' });
    // Out of the queue, and the reading pane is on the next one.
    await row(page, subjectOf(target!)).waitFor({ state: 'detached' });
    await expect.poll(() => openId(page)).toBe(next);
    expect(inbox.conversations.find((c) => c.id === target)!.bin).toBe('deleted');
    const nav = page.getByRole('list', { name: 'Inbox views' });
    await nav.getByRole('link', { name: /^Deleted\s*1 conversations$/ }).click();
    await row(page, subjectOf(target!)).click();
    const region = page.getByRole('region', { name: subjectOf(target!), exact: true });
    await region.getByText('Deleted: out of every queue.').waitFor();
    await region.getByRole('button', { name: 'Restore' }).click();
    await row(page, subjectOf(target!)).waitFor({ state: 'detached' });
    expect(inbox.conversations.find((c) => c.id === target)!.bin).toBeUndefined();
    await nav.getByRole('link', { name: /^All/ }).click();
    await row(page, subjectOf(target!)).waitFor();
  });

  it('marks as spam from the selection and with !, and "Not spam" in Spam brings a conversation back; Delete in bulk asks first', async () => {
    await page.goto(`${app.host.url}#/inbox/all`);
    const [a, b, c] = visible();
    await row(page, subjectOf(a!)).waitFor();
    await list(page)
      .getByRole('checkbox', { name: `Select ${subjectOf(a!)}` })
      .click();
    await list(page)
      .getByRole('checkbox', { name: `Select ${subjectOf(b!)}` })
      .click();
    const toolbar = page.getByRole('toolbar', { name: 'Bulk actions' });
    await toolbar.getByRole('button', { name: 'Spam' }).click();
    await row(page, subjectOf(a!)).waitFor({ state: 'detached' });
    await row(page, subjectOf(b!)).waitFor({ state: 'detached' });
    expect([a, b].map((id) => inbox.conversations.find((x) => x.id === id)!.bin)).toEqual(['spam', 'spam']);

    // ! on the open conversation.
    await row(page, subjectOf(c!)).click();
    await page.getByRole('region', { name: subjectOf(c!), exact: true }).waitFor();
    await page.keyboard.press('!');
    await row(page, subjectOf(c!)).waitFor({ state: 'detached' });
    expect(inbox.conversations.find((x) => x.id === c)!.bin).toBe('spam');

    const nav = page.getByRole('list', { name: 'Inbox views' });
    await nav.getByRole('link', { name: /^Spam\s*3 conversations$/ }).click();
    await row(page, subjectOf(a!)).click();
    const region = page.getByRole('region', { name: subjectOf(a!), exact: true });
    await region.getByText('goes to Spam too').waitFor();
    await page.keyboard.press('!');
    await row(page, subjectOf(a!)).waitFor({ state: 'detached' });
    expect(inbox.conversations.find((x) => x.id === a)!.bin).toBeUndefined();

    // Two left in Spam: selected and deleted together, after the confirmation.
    await list(page)
      .getByRole('checkbox', { name: `Select ${subjectOf(b!)}` })
      .click();
    await list(page)
      .getByRole('checkbox', { name: `Select ${subjectOf(c!)}` })
      .click();
    await toolbar.getByRole('button', { name: 'Delete' }).click();
    const dialog = page.getByRole('alertdialog', { name: 'Delete 2 conversations?' });
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await row(page, subjectOf(b!)).waitFor({ state: 'detached' });
    await row(page, subjectOf(c!)).waitFor({ state: 'detached' });
    expect([b, c].map((id) => inbox.conversations.find((x) => x.id === id)!.bin)).toEqual(['deleted', 'deleted']);
    for (const id of [b, c]) delete inbox.conversations.find((x) => x.id === id)!.bin;
  });

  it('says on the row and in the conversation when the move to the server’s Trash failed', async () => {
    const c = inbox.conversations.find((x) => x.id === visible()[0])!;
    c.bin = 'deleted';
    c.mailboxMove = { folder: 'trash', error: 'Connection refused on port 993 — Check the port.', nextAttemptAt: new Date(Date.now() + 60_000).toISOString() };
    await page.goto(`${app.host.url}#/inbox/deleted`);
    await row(page, subjectOf(c.id)).getByText('Not moved to Trash on the server').waitFor();
    await row(page, subjectOf(c.id)).click();
    const alert = page.getByRole('region', { name: subjectOf(c.id), exact: true }).getByRole('alert');
    await alert.getByText('Connection refused on port 993').waitFor();
    delete c.bin;
    delete c.mailboxMove;
    await page.goto(`${app.host.url}#/inbox/all`);
    await row(page, subjectOf(c.id)).waitFor();
  });

  it('marks failed replies in the list and the sidebar, and notifies when the agent is elsewhere', async () => {
    const failing = inbox.conversations.find((c) => c.status === 'open' && c.id !== ids[0])!;
    failing.failedReplies = 1;
    inbox.emit('conversations:changed', { ids: [failing.id], created: [], failed: [failing.id] });
    await row(page, subjectOf(failing.id)).getByText('Reply not sent').waitFor();
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Failed replies 1 with a reply not sent', exact: true }).waitFor();
    await expect
      .poll(() => shownNotifications(page))
      .toContainEqual({
        title: 'A reply was not sent',
        body: `Customer ${failing.id}: ${subjectOf(failing.id)} — open it to retry or edit.`,
      });

    await nav.getByRole('link', { name: /^Failed replies/ }).click();
    await page.getByRole('status').filter({ hasText: '1 conversation' }).waitFor();
    await row(page, subjectOf(failing.id)).waitFor();
  });

  it('says a waiting reply is held when its channel is disabled', async () => {
    const held = inbox.conversations.find((c) => c.status === 'pending')!;
    held.queuedReplies = 1;
    await page.goto(`${app.host.url}#/inbox/all`);
    await row(page, subjectOf(held.id)).getByText('Reply held: channel disabled').waitFor();
    // The composer says so before the agent sends.
    await row(page, subjectOf(held.id)).click();
    const region = page.getByRole('region', { name: subjectOf(held.id), exact: true });
    await region.getByRole('note').filter({ hasText: 'The channel Support Email is disabled.' }).waitFor();
  });

  it('tells the agent what they can do about a failed reply, and leaves the server fix to the admin', async () => {
    const failing = inbox.conversations.find((c) => c.failedReplies > 0)!;
    const error = {
      code: 'MESSAGE_REJECTED' as const,
      message: 'Message rejected',
      cause: 'SPF/DKIM/DMARC failure.',
      fix: 'Configure DNS records (SPF, DKIM, DMARC) for your sending domain.',
      retryable: false,
    };
    inbox.messages.set(failing.id, [
      {
        id: failing.id * 1000,
        conversationId: failing.id,
        direction: 'outbound',
        kind: 'normal',
        from: { name: 'Acme Support', address: 'support@auxilium.test' },
        to: [failing.customer],
        cc: [],
        replyTo: [],
        subject: `Re: ${failing.subject}`,
        date: new Date().toISOString(),
        text: 'We refunded you.',
        html: null,
        attachments: [],
        parseError: null,
        authorAgentId: 1,
        sentBy: null,
        answeredOnServer: false,
        delivery: { state: 'failed', error, attempts: 1, nextAttemptAt: null, refused: [], filing: null },
      },
    ]);
    await page.goto(`${app.host.url}#/inbox/c/${failing.id}`);
    const reply = page.getByRole('article').filter({ hasText: 'We refunded you.' });
    await reply.getByText('Retrying will not help until the sending domain is fixed. Tell your admin (the fix is under Channels → Support Email)').waitFor();
    await reply.getByText('Configure DNS records').waitFor();
  });

  it('counts unread per view and notifies of a customer reply in an existing conversation', async () => {
    const answered = inbox.conversations.find((c) => c.status === 'pending' && !c.unread && c.assigneeId === null)!;
    const before = countsOf(inbox);
    answered.unread = true;
    answered.status = 'open';
    inbox.emit('conversations:changed', { ids: [answered.id], created: [], replied: [answered.id] });
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: `All ${before.unread.all + 1} unread ${before.all + 1} open`, exact: true }).waitFor();
    await expect
      .poll(() => shownNotifications(page))
      .toContainEqual({ title: 'New reply from the customer', body: `Customer ${answered.id}: ${subjectOf(answered.id)}` });
  });

  it('marks the open conversation unread with u, and it stays unread', async () => {
    const target = inbox.conversations.find((c) => c.status === 'open' && c.failedReplies === 0)!;
    await page.goto(`${app.host.url}#/inbox/c/${target.id}`);
    await page.getByRole('region', { name: subjectOf(target.id), exact: true }).waitFor();
    await expect.poll(() => target.unread).toBe(false);
    // Opening it left the focus with the reader (not in the composer), so the key is a command.
    expect(await focusedDescription(page)).not.toMatch(/^textarea/);
    await page.locator('body').press('u');
    await expect
      .poll(() => inbox.calls.filter((c) => c.channel === 'conversations:update-many').at(-1)?.input)
      .toEqual({ ids: [target.id], patch: { unread: true } });
    await row(page, subjectOf(target.id)).getByRole('img', { name: 'Unread' }).waitFor();
    // A change event refetches the open conversation; it must not read it again.
    const fetches = () => inbox.calls.filter((c) => c.channel === 'conversations:get' && c.input.id === target.id).length;
    const fetchedBefore = fetches();
    inbox.emit('conversations:changed', { ids: [target.id], created: [] });
    await expect.poll(fetches).toBeGreaterThan(fetchedBefore);
    expect(inbox.calls.at(-1)?.channel).not.toBe('conversations:mark-read');
    expect(target.unread).toBe(true);
  });

  it('keeps saved replies for the team and inserts one from the composer with Ctrl+/', async () => {
    await page.goto(`${app.host.url}#/settings`);
    const section = page.getByRole('region', { name: 'Saved replies' });
    await section.getByRole('button', { name: 'New saved reply' }).click();
    await section.getByRole('button', { name: 'Add saved reply' }).click();
    await section.getByRole('alert').getByText('Name is required').waitFor();
    await section.getByLabel('Name').fill('Refund on its way');
    await section.getByLabel('Text').fill('Your refund was sent today; it shows in 3 to 5 days.');
    await section.getByRole('button', { name: 'Add saved reply' }).click();
    await section.getByRole('listitem', { name: 'Refund on its way' }).waitFor();

    const target = inbox.conversations.find((c) => c.status !== 'closed')!;
    await page.goto(`${app.host.url}#/inbox/c/${target.id}`);
    const region = page.getByRole('region', { name: subjectOf(target.id), exact: true });
    const message = region.getByRole('textbox', { name: 'Message', exact: true });
    await message.click();
    await page.keyboard.type('Hi Carol,\n\n');
    await page.keyboard.press('Control+/');
    const search = region.getByRole('combobox', { name: 'Search saved replies' });
    await expect.poll(() => search.evaluate((el) => el === document.activeElement)).toBe(true);
    await page.keyboard.type('refund');
    await region.getByRole('option', { name: /Refund on its way/ }).waitFor();
    await page.keyboard.press('Enter');
    await expect.poll(() => message.inputValue()).toBe('Hi Carol,\n\nYour refund was sent today; it shows in 3 to 5 days.');
    await expect.poll(() => message.evaluate((el) => el === document.activeElement)).toBe(true);
  });
});

describe('Reading a long thread (stand-in host)', () => {
  let app: TestApp;
  let page: Page;
  let inbox: FakeInbox;
  const subject = subjectOf(3);

  beforeAll(async () => {
    app = await TestApp.start();
    // The smallest window the app is meant for.
    const context = await app.browser.newContext({ viewport: { width: 1024, height: 700 } });
    page = await context.newPage();
    inbox = await installFakeInbox(page, generateConversations(3));
    const c = inbox.conversations.find((x) => x.id === 3)!;
    c.customer = { name: 'Bartholomew Featherstonehaugh-Montgomery', address: 'bartholomew.featherstonehaugh-montgomery@customer-support.example.com' };
    const start = Date.parse('2026-11-20T09:00:00Z');
    for (let i = 0; i < 12; i++) {
      const inbound = i % 2 === 0;
      addMessage(inbox, 3, {
        direction: inbound ? 'inbound' : 'outbound',
        from: inbound ? c.customer : { name: 'Acme Support', address: 'support@auxilium.test' },
        to: inbound ? [{ name: 'Acme Support', address: 'support@auxilium.test' }] : [c.customer],
        cc: inbound ? [{ name: 'Accounts Payable Department', address: 'accounts.payable.department@customer-support.example.com' }] : [],
        date: new Date(start + i * 3_600_000).toISOString(),
        text:
          i === 11
            ? '**Good news**: your *refund* is on its way.\n- Amount: 20 EUR\n- See [your order](https://shop.example/orders/3)'
            : `Message ${i} says something.\n${'More words in this message. '.repeat(12)}\n\nOn Mon, 19 Nov 2026, Someone wrote:\n> QUOTED-${i} earlier text\n> more of it`,
        delivery: inbound ? null : { state: 'sent', error: null, attempts: 1, nextAttemptAt: null, refused: [], filing: null },
      });
    }
    await page.goto(`${app.host.url}#/inbox/c/3`);
    await page.getByRole('region', { name: subject, exact: true }).waitFor();
  });

  afterAll(async () => {
    await app?.close();
  });

  it('folds quoted history behind a toggle', async () => {
    const region = page.getByRole('region', { name: subject, exact: true });
    const first = region.getByRole('article').filter({ hasText: 'Message 0 says something.' });
    expect(await first.getByText('QUOTED-0 earlier text').isVisible()).toBe(false);
    const toggle = first.getByRole('button', { name: 'Show quoted text' });
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');
    await toggle.click();
    await first.getByText('QUOTED-0 earlier text').waitFor();
    await first.getByRole('button', { name: 'Hide quoted text' }).click();
    await first.getByText('QUOTED-0 earlier text').waitFor({ state: 'hidden' });
  });

  it('opens at the start of the newest message, not at the composer', async () => {
    await page.goto(`${app.host.url}#/inbox/c/2`);
    await page.getByRole('region', { name: subjectOf(2), exact: true }).waitFor();
    await page.goto(`${app.host.url}#/inbox/c/3`);
    const region = page.getByRole('region', { name: subject, exact: true });
    const newest = region.getByRole('article').last();
    await newest.waitFor();
    const thread = page.locator('.thread');
    await expect
      .poll(async () => {
        const [t, n] = await Promise.all([thread.boundingBox(), newest.boundingBox()]);
        return t && n ? Math.round(n.y - t.y) : null;
      })
      .toBeLessThan(40);
    const [t, n] = await Promise.all([thread.boundingBox(), newest.boundingBox()]);
    expect(n!.y).toBeGreaterThanOrEqual(t!.y - 1);
  });

  it('shows the formatting the agent typed in their own reply', async () => {
    const newest = page.getByRole('region', { name: subject, exact: true }).getByRole('article').last();
    await newest.locator('strong', { hasText: 'Good news' }).waitFor();
    await newest.locator('em', { hasText: 'refund' }).waitFor();
    await newest.getByRole('listitem').filter({ hasText: 'Amount: 20 EUR' }).waitFor();
    const link = newest.getByRole('link', { name: 'your order' });
    expect(await link.getAttribute('href')).toBe('https://shop.example/orders/3');
    // A click opens the browser, never navigates the app.
    expect(await link.getAttribute('target')).toBe('_blank');
    expect(await newest.getByText('**Good news**').count()).toBe(0);
  });

  it('at 1024×700 keeps addresses whole and the reading pane without a sideways scroll', async () => {
    const region = page.getByRole('region', { name: subject, exact: true });
    // Every place a line breaks inside an address: the characters on both sides of the break.
    const broken = await region.locator('.address').evaluateAll((els) => {
      const found: string[] = [];
      for (const el of els) {
        const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
        let previous: { char: string; top: number } | null = null;
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
          const text = node.textContent ?? '';
          for (let i = 0; i < text.length; i++) {
            const range = document.createRange();
            range.setStart(node, i);
            range.setEnd(node, i + 1);
            const rect = range.getBoundingClientRect();
            if (rect.width === 0 && text[i] === ' ') continue;
            const top = Math.round(rect.top);
            if (previous && top > previous.top + 2 && !/[\s@.,-]/.test(previous.char) && !/[\s<]/.test(text[i]!))
              found.push(`${previous.char}|${text[i]} in ${el.textContent}`);
            previous = { char: text[i]!, top };
          }
        }
      }
      return found;
    });
    expect(broken).toEqual([]);
    const thread = page.locator('.thread');
    expect(await thread.evaluate((el) => el.scrollWidth <= el.clientWidth)).toBe(true);
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await page.screenshot({ path: 'test-results/reading-1024.png' });
  });
});
