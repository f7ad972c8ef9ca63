import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMessage, generateConversations, installFakeInbox, type FakeConversation, type FakeInbox } from './support/fake-inbox';
import { TestApp } from './support/host';

/**
 * Reading a conversation: the customer panel with their other conversations, quoted history in HTML
 * mail folded behind a toggle, and one scrollbar per region at the window sizes agents use. Driven
 * against the stand-in inbox host (e2e/support/fake-inbox.ts) so the customer's history, a long
 * thread and a long HTML mail exist on demand.
 */

const CAROL = { name: 'Carol Customer', address: 'carol@example.com' };

/** Gmail's shape: the reply, then div.gmail_quote with the attribution and the quoted mail. */
const GMAIL_REPLY = `<div dir="ltr">The parcel arrived, thank you.</div><br>
<div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Tue, Dec 1, 2026 at 10:00 AM Acme Support &lt;support@acme.test&gt; wrote:<br></div>
<blockquote class="gmail_quote" style="margin:0 0 0 .8ex;border-left:1px solid #ccc;padding-left:1ex"><div dir="ltr">We sent a new parcel today.</div></blockquote></div>`;

/** A newsletter-length HTML mail: far taller than any window. */
const LONG_HTML = `<div><h1>Release notes</h1>${Array.from({ length: 120 }, (_, i) => `<p>Paragraph ${i + 1}: everything that changed in this release, explained at length.</p>`).join('')}<p id="end">End of the release notes.</p></div>`;

function list(page: Page): Locator {
  return page.getByRole('list', { name: 'Conversations' });
}

function conversation(page: Page, subject: string): Locator {
  return page.getByRole('region', { name: subject });
}

function customerPanel(page: Page): Locator {
  return page.getByRole('complementary', { name: /^Customer/ });
}

/** Every element of the page that scrolls vertically (has more content than room and may scroll), by class. */
async function scrollers(page: Page): Promise<{ document: { scrollHeight: number; clientHeight: number }; nested: string[] }> {
  return page.evaluate(() => {
    const root = document.scrollingElement!;
    const nested: string[] = [];
    for (const element of document.querySelectorAll<HTMLElement>('body *')) {
      const overflowY = getComputedStyle(element).overflowY;
      if ((overflowY === 'auto' || overflowY === 'scroll') && element.scrollHeight > element.clientHeight + 1) {
        nested.push(element.className || element.tagName.toLowerCase());
      }
    }
    return { document: { scrollHeight: root.scrollHeight, clientHeight: root.clientHeight }, nested };
  });
}

describe('Reading a conversation (stand-in host)', () => {
  let app: TestApp;
  let page: Page;
  let inbox: FakeInbox;
  let reading: FakeConversation;
  let carolsOthers: FakeConversation[];
  let longThread: FakeConversation;

  beforeAll(async () => {
    app = await TestApp.start();
    const context = await app.browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    inbox = await installFakeInbox(page, generateConversations(60));
    // Carol wrote four times: the newest is read, the other three (one closed) are her history.
    const carols = [inbox.conversations[2]!, inbox.conversations[10]!, inbox.conversations[25]!, inbox.conversations[40]!];
    for (const c of carols) c.customer = { ...CAROL, address: c === carols[3] ? 'Carol@Example.com' : CAROL.address };
    carols[1]!.status = 'closed';
    [reading, ...carolsOthers] = carols as [FakeConversation, ...FakeConversation[]];
    addMessage(inbox, reading.id, { text: 'The parcel arrived, thank you.', html: GMAIL_REPLY });

    longThread = inbox.conversations[5]!;
    for (let i = 0; i < 30; i++) {
      const agent = i % 2 === 1;
      addMessage(inbox, longThread.id, {
        direction: agent ? 'outbound' : 'inbound',
        from: agent ? { name: 'Acme Support', address: 'support@acme.test' } : longThread.customer,
        text: `Message ${i + 1} of a long thread.\n\nIt goes on for a few lines\nso that the thread is much taller\nthan the window.`,
        date: new Date(Date.parse(longThread.lastMessageAt) - (40 - i) * 60_000).toISOString(),
      });
    }
    addMessage(inbox, longThread.id, { text: 'Release notes', html: LONG_HTML, date: longThread.lastMessageAt });
    await page.goto(`${app.host.url}#/inbox/all`);
    await list(page).getByRole('link').first().waitFor();
  });

  afterAll(async () => {
    await app?.close();
  });

  it("lists the customer's other conversations newest first, with status and date, and opens one on click", async () => {
    await page.goto(`${app.host.url}#/inbox/c/${reading.id}`);
    const panel = customerPanel(page);
    await panel.getByText('3 other conversations').waitFor();
    // At 1280 wide the panel is folded below the thread, so the thread keeps the room.
    const toggle = panel.getByRole('button', { name: /Customer/ });
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');
    await toggle.click();
    expect(await toggle.getAttribute('aria-expanded')).toBe('true');
    await panel.getByText(CAROL.address, { exact: true }).waitFor();
    const others = panel.getByRole('list', { name: 'Other conversations of Carol Customer' }).getByRole('link');
    expect(await others.allInnerTexts()).toEqual(
      carolsOthers.map((c) =>
        expect.stringMatching(
          new RegExp(`^${c.subject.replace('#', '\\#')}\\s+${c.status === 'closed' ? 'Closed' : c.status === 'open' ? 'Open' : 'Pending'}\\s+\\S`),
        ),
      ),
    );
    expect(await others.nth(0).locator('time').getAttribute('datetime')).toBe(carolsOthers[0]!.lastMessageAt);

    await others.nth(1).click();
    await conversation(page, carolsOthers[1]!.subject).waitFor();
    expect(page.url()).toMatch(new RegExp(`#/inbox/c/${carolsOthers[1]!.id}$`));
    // Seen from there, the conversation first read is one of hers, and the panel stays open.
    await customerPanel(page)
      .getByRole('link', { name: new RegExp(reading.subject.replace('#', '\\#')) })
      .waitFor();
  });

  it('stands beside the thread in a wide window, and stays within a 1024×700 window', async () => {
    await page.setViewportSize({ width: 1600, height: 900 });
    await page.goto(`${app.host.url}#/inbox/c/${reading.id}`);
    // A fresh page: the agent has not chosen yet, so the panel follows the window's width.
    await page.reload();
    await conversation(page, reading.subject).waitFor();
    const panel = customerPanel(page);
    await panel.getByRole('list', { name: /Other conversations/ }).waitFor();
    const thread = await page.locator('.thread').boundingBox();
    const beside = await panel.boundingBox();
    expect(beside!.x).toBeGreaterThanOrEqual(thread!.x + thread!.width - 1);
    expect(beside!.height).toBeGreaterThan(thread!.height / 2);
    await page.screenshot({ path: 'test-results/customer-panel-wide.png' });

    await page.setViewportSize({ width: 1024, height: 700 });
    const toggle = panel.getByRole('button', { name: /Customer/ });
    const box = await toggle.boundingBox();
    expect(box!.y + box!.height).toBeLessThanOrEqual(700);
    expect(box!.x + box!.width).toBeLessThanOrEqual(1024);
    // Narrower, it folds by itself, leaving the thread most of the pane.
    await expect.poll(() => toggle.getAttribute('aria-expanded')).toBe('false');
    const narrowThread = await page.locator('.thread').boundingBox();
    expect(narrowThread!.height).toBeGreaterThan(350);
    // Opened there, it still leaves room for the thread.
    await toggle.click();
    await panel.getByRole('list', { name: /Other conversations/ }).waitFor();
    expect((await page.locator('.thread').boundingBox())!.height).toBeGreaterThan(120);
    await page.screenshot({ path: 'test-results/customer-panel-1024.png' });
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('folds the quoted history of an HTML mail behind "Show quoted text", inside the sandboxed frame', async () => {
    await page.goto(`${app.host.url}#/inbox/c/${reading.id}`);
    const region = conversation(page, reading.subject);
    const frame = region.locator('iframe.message-frame');
    await frame.waitFor();
    const body = frame.contentFrame().locator('body');
    await expect.poll(() => body.innerText()).toContain('The parcel arrived, thank you.');
    expect(await body.innerText()).not.toContain('We sent a new parcel today.');
    expect(await frame.getAttribute('srcdoc')).not.toContain('gmail_quote');

    const toggle = region.getByRole('button', { name: 'Show quoted text' });
    await toggle.click();
    await expect.poll(() => body.innerText()).toContain('We sent a new parcel today.');
    expect(await body.innerText()).toContain('Acme Support <support@acme.test> wrote:');
    expect(await region.getByRole('button', { name: 'Hide quoted text' }).getAttribute('aria-expanded')).toBe('true');
    // Still the script-free sandbox: rebuilding the document did not loosen it.
    expect(await frame.getAttribute('sandbox')).toBe('allow-popups allow-popups-to-escape-sandbox');

    await region.getByRole('button', { name: 'Hide quoted text' }).click();
    await expect.poll(() => body.innerText()).not.toContain('We sent a new parcel today.');
  });

  for (const size of [
    { width: 1280, height: 900 },
    { width: 1024, height: 700 },
  ]) {
    it(`has one scrolling container per region at ${size.width}×${size.height}: the list and the thread; the page and the mail frame do not scroll`, async () => {
      await page.setViewportSize(size);
      await page.goto(`${app.host.url}#/inbox/c/${longThread.id}`);
      const region = conversation(page, longThread.subject);
      const frame = region.locator('iframe.message-frame');
      await frame.contentFrame().locator('#end').waitFor();
      // The frame is sized to its whole content: the end of the mail is inside the frame's box.
      await expect
        .poll(
          () =>
            frame
              .contentFrame()
              .locator('html')
              .evaluate((html) => html.scrollHeight - html.clientHeight),
          { timeout: 10_000 },
        )
        .toBeLessThanOrEqual(0);
      const frameBox = await frame.boundingBox();
      expect(frameBox!.height).toBeGreaterThan(size.height);

      const found = await scrollers(page);
      expect(found.document.scrollHeight).toBeLessThanOrEqual(found.document.clientHeight);
      expect(found.nested.sort()).toEqual(['list-scroll', 'thread']);

      await page.setViewportSize({ width: 1280, height: 900 });
    });
  }
});
