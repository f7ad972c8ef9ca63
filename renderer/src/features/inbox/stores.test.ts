import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { ConversationDetail, ConversationSummary, Message } from '../../../../shared/conversation';
import { testMessage } from './test-message';

/**
 * The zustand stores behind triage (list, selection, bulk actions), the open conversation (close and
 * move on, mark unread) and the composer. They talk to the main side only through lib/api, which is
 * replaced here by a fake that records calls and answers from a table: the unit project runs in
 * Node, without a host or a window. Navigation (lib/router's navigate) is recorded the same way.
 */

const calls: { channel: string; input: Record<string, unknown> }[] = [];
let answers: Record<string, (input: Record<string, unknown>) => unknown> = {};

vi.mock('../../lib/api', () => ({
  invoke: vi.fn(async (channel: string, input: Record<string, unknown>) => {
    calls.push({ channel, input });
    const answer = answers[channel];
    if (!answer) return { ok: false, error: { code: 'INTERNAL', message: `no fake for ${channel}`, retryable: false } };
    try {
      return { ok: true, value: answer(input) };
    } catch (error) {
      return { ok: false, error: { code: 'NOT_FOUND', message: (error as Error).message, retryable: false } };
    }
  }),
  onEvent: vi.fn(() => () => undefined),
}));

const navigated: string[] = [];
vi.mock('../../lib/router', async (original) => ({
  ...(await original<typeof import('../../lib/router')>()),
  navigate: (href: string) => navigated.push(href),
}));

const { useInboxStore } = await import('./store');
const { useConversationStore } = await import('./conversation-store');
const { useComposerStore } = await import('./composer-store');

function summary(id: number, extra: Partial<ConversationSummary> = {}): ConversationSummary {
  return {
    id,
    channelId: 'ch1',
    subject: `Question ${id}`,
    customer: { name: `Customer ${id}`, address: `c${id}@example.com` },
    status: 'open',
    assigneeId: null,
    lastMessageAt: '2026-12-01T10:00:00.000Z',
    snippet: '',
    unread: false,
    messageCount: 1,
    failedReplies: 0,
    queuedReplies: 0,
    ...extra,
  };
}

function detail(c: ConversationSummary): ConversationDetail {
  return { conversation: c, messages: [] };
}

const initialInbox = useInboxStore.getState();
const initialConversation = useConversationStore.getState();

beforeEach(() => {
  calls.length = 0;
  navigated.length = 0;
  answers = {};
  useInboxStore.setState({ ...initialInbox, items: [1, 2, 3, 4, 5].map((id) => summary(id)), loading: false, selected: new Set(), anchorId: null });
  useConversationStore.setState(initialConversation);
});

describe('inbox store: selection and bulk actions', () => {
  it('toggles single rows, adds a Shift range from the anchor, and selects all', () => {
    const inbox = useInboxStore.getState();
    inbox.toggleSelected(2);
    inbox.selectRange(4);
    expect([...useInboxStore.getState().selected].sort()).toEqual([2, 3, 4]);
    inbox.toggleSelected(3);
    expect([...useInboxStore.getState().selected].sort()).toEqual([2, 4]);
    inbox.selectAll();
    expect(useInboxStore.getState().selected.size).toBe(5);
    inbox.clearSelection();
    expect(useInboxStore.getState().selected.size).toBe(0);
  });

  it('sends one bulk call for the selection, shows the change at once, and clears the selection', async () => {
    // The fake server's rows, which the refresh after the action reads back.
    const server = [1, 2, 3, 4, 5].map((id) => summary(id));
    answers['conversations:update-many'] = (input) => {
      for (const c of server) if ((input.ids as number[]).includes(c.id)) Object.assign(c, input.patch);
      return { ids: input.ids };
    };
    answers['conversations:list'] = () => ({ items: server, nextCursor: null, total: server.length });
    answers['conversations:count'] = () => ({ mine: 0, unassigned: 0, all: 0, unread: { mine: 0, unassigned: 0, all: 0 }, failed: 0 });
    const inbox = useInboxStore.getState();
    inbox.toggleSelected(1);
    inbox.toggleSelected(3);
    expect(await inbox.applyToSelected({ unread: true })).toBe(true);
    expect(calls[0]).toEqual({ channel: 'conversations:update-many', input: { ids: [1, 3], patch: { unread: true } } });
    const state = useInboxStore.getState();
    expect(state.items.filter((c) => c.unread).map((c) => c.id)).toEqual([1, 3]);
    expect(state.selected.size).toBe(0);
    await vi.waitFor(() => expect(calls.map((c) => c.channel)).toContain('conversations:count'));
  });

  it('keeps the selection and says why when a bulk action fails', async () => {
    const inbox = useInboxStore.getState();
    inbox.toggleSelected(2);
    expect(await inbox.applyToSelected({ status: 'closed' })).toBe(false);
    expect(useInboxStore.getState().selected.has(2)).toBe(true);
    expect(useInboxStore.getState().bulkError?.message).toMatch(/no fake/);
    expect(useInboxStore.getState().items.find((c) => c.id === 2)!.status).toBe('open');
  });

  it('forgets the selection when the filters change', () => {
    answers['conversations:list'] = () => ({ items: [], nextCursor: null, total: 0 });
    useInboxStore.getState().toggleSelected(2);
    useInboxStore.getState().setFilters({ status: 'closed' });
    expect(useInboxStore.getState().selected.size).toBe(0);
    expect(calls.at(-1)).toMatchObject({ channel: 'conversations:list', input: { status: 'closed' } });
  });

  it('steps through the list and finds the conversation to move on to', () => {
    const inbox = useInboxStore.getState();
    expect(inbox.stepFrom(null, 1)).toBe(1);
    expect(inbox.stepFrom(2, 1)).toBe(3);
    expect(inbox.stepFrom(2, -1)).toBe(1);
    expect(inbox.stepFrom(5, 1)).toBeNull();
    expect(inbox.neighbourOf(3)).toBe(4);
    // The last one moves on to the one before it.
    expect(inbox.neighbourOf(5)).toBe(4);
  });
});

describe('inbox store: delete, spam and restore', () => {
  /** The hash the app shows; the unit project has no window, so the store reads this one. */
  function at(hash: string): void {
    vi.stubGlobal('window', { location: { hash } });
  }

  beforeEach(() => {
    // The fake server's view: rows put into a bin leave it, as they do on the main side.
    let server = [1, 2, 3, 4, 5].map((id) => summary(id));
    answers['conversations:update-many'] = (input) => {
      server = server.filter((c) => !(input.ids as number[]).includes(c.id));
      return { ids: input.ids };
    };
    answers['conversations:list'] = () => ({ items: server, nextCursor: null, total: server.length });
    answers['conversations:count'] = () => ({ mine: 0, unassigned: 0, all: 0, unread: { mine: 0, unassigned: 0, all: 0 }, failed: 0, spam: 0, deleted: 0 });
    at('#/inbox/all');
    return () => vi.unstubAllGlobals();
  });

  it('asks before deleting: a request opens the confirmation and sends nothing; cancelling forgets it', () => {
    const inbox = useInboxStore.getState();
    inbox.requestDelete([2, 3]);
    expect(useInboxStore.getState().deleteRequest).toEqual([2, 3]);
    expect(calls).toEqual([]);
    inbox.cancelDelete();
    expect(useInboxStore.getState().deleteRequest).toBeNull();
  });

  it('deleting takes the rows out of the view at once, closes the confirmation, and the open one gives way to the next that stays', async () => {
    at('#/inbox/c/2');
    const inbox = useInboxStore.getState();
    inbox.toggleSelected(3);
    inbox.requestDelete([2, 3]);
    expect(await inbox.moveToBin([2, 3], 'deleted')).toBeNull();
    expect(calls[0]).toEqual({ channel: 'conversations:update-many', input: { ids: [2, 3], patch: { bin: 'deleted' } } });
    const state = useInboxStore.getState();
    expect(state.items.map((c) => c.id)).toEqual([1, 4, 5]);
    expect(state.deleteRequest).toBeNull();
    expect(state.selected.size).toBe(0);
    expect(navigated).toEqual(['#/inbox/c/4']);
  });

  it('the last conversation in the list moves on to the one before it; with none left, back to the view', async () => {
    at('#/inbox/c/5');
    expect(await useInboxStore.getState().moveToBin([5], 'spam')).toBeNull();
    expect(navigated).toEqual(['#/inbox/c/4']);
    at('#/inbox/c/1');
    expect(await useInboxStore.getState().moveToBin([1, 2, 3, 4], 'spam')).toBeNull();
    expect(navigated.at(-1)).toBe('#/inbox/all');
  });

  it('a failed deletion keeps the rows and the confirmation, and says why', async () => {
    delete answers['conversations:update-many'];
    const inbox = useInboxStore.getState();
    inbox.requestDelete([2]);
    const error = await inbox.moveToBin([2], 'deleted');
    expect(error?.message).toMatch(/no fake/);
    expect(useInboxStore.getState().items).toHaveLength(5);
    expect(useInboxStore.getState().deleteRequest).toEqual([2]);
    expect(navigated).toEqual([]);
  });

  it('spam and "Not spam" on the selection go through the same call and clear the selection', async () => {
    const inbox = useInboxStore.getState();
    inbox.toggleSelected(1);
    inbox.toggleSelected(4);
    expect(await inbox.applyToSelected({ bin: 'spam' })).toBe(true);
    expect(calls[0]).toEqual({ channel: 'conversations:update-many', input: { ids: [1, 4], patch: { bin: 'spam' } } });
    expect(useInboxStore.getState().items.map((c) => c.id)).toEqual([2, 3, 5]);
    expect(useInboxStore.getState().selected.size).toBe(0);
    useInboxStore.getState().toggleSelected(2);
    expect(await useInboxStore.getState().applyToSelected({ bin: null })).toBe(true);
    expect(calls.filter((c) => c.channel === 'conversations:update-many').at(-1)!.input).toEqual({ ids: [2], patch: { bin: null } });
  });

  it('the open conversation: spam moves on to the next, a failure shows above the thread', async () => {
    answers['conversations:get'] = (input) => detail(summary(input.id as number));
    await useConversationStore.getState().open(3);
    at('#/inbox/c/3');
    await useConversationStore.getState().moveToBin('spam');
    expect(navigated).toEqual(['#/inbox/c/4']);
    delete answers['conversations:update-many'];
    await useConversationStore.getState().moveToBin('spam');
    expect(useConversationStore.getState().actionError?.message).toMatch(/no fake/);
  });
});

describe('conversation store: close and move on, mark unread', () => {
  async function openConversation(id: number): Promise<void> {
    const read = new Set<number>();
    answers['conversations:mark-read'] = (input) => {
      read.add(input.id as number);
      return {};
    };
    answers['conversations:get'] = (input) => detail(summary(input.id as number, { unread: !read.has(input.id as number) }));
    await useConversationStore.getState().open(id);
  }

  it('closing opens the next conversation in the list', async () => {
    await openConversation(3);
    answers['conversations:set-status'] = (input) => detail(summary(input.id as number, { status: input.status as 'closed' }));
    await useConversationStore.getState().setStatus('closed');
    expect(navigated).toEqual(['#/inbox/c/4']);
    expect(useInboxStore.getState().items.find((c) => c.id === 3)!.status).toBe('closed');
  });

  it('a status other than closed stays on the conversation; a failed close stays too and says why', async () => {
    await openConversation(3);
    answers['conversations:set-status'] = (input) => detail(summary(input.id as number, { status: input.status as 'pending' }));
    await useConversationStore.getState().setStatus('pending');
    expect(navigated).toEqual([]);
    answers['conversations:set-status'] = () => {
      throw new Error('This conversation no longer exists.');
    };
    await useConversationStore.getState().setStatus('closed');
    expect(navigated).toEqual([]);
    expect(useConversationStore.getState().actionError?.message).toBe('This conversation no longer exists.');
  });

  it('marking unread keeps it unread when the conversation is fetched again', async () => {
    await openConversation(2);
    answers['conversations:update-many'] = (input) => ({ ids: input.ids });
    await useConversationStore.getState().markUnread();
    expect(calls.find((c) => c.channel === 'conversations:update-many')!.input).toEqual({ ids: [2], patch: { unread: true } });
    expect(useInboxStore.getState().items.find((c) => c.id === 2)!.unread).toBe(true);
    const readCalls = () => calls.filter((c) => c.channel === 'conversations:mark-read').length;
    const readBefore = readCalls();
    await useConversationStore.getState().refresh();
    expect(calls.at(-1)).toMatchObject({ channel: 'conversations:get', input: { id: 2 } });
    expect(readCalls()).toBe(readBefore);
    // Opened anew, it is read as usual, before it is fetched.
    await useConversationStore.getState().open(null);
    await openConversation(2);
    expect(calls.slice(-2).map((c) => [c.channel, c.input])).toEqual([
      ['conversations:mark-read', { id: 2 }],
      ['conversations:get', { id: 2 }],
    ]);
  });
});

describe('composer store', () => {
  it('choosing a mode asks for the text box to take focus', () => {
    const before = useComposerStore.getState().focusRequest;
    useComposerStore.getState().setMode('note');
    expect(useComposerStore.getState()).toMatchObject({ mode: 'note', focusRequest: before + 1 });
  });

  it('refuses an empty reply with the contract message and sends nothing', async () => {
    answers['drafts:get'] = () => ({ text: '', attachments: [] });
    useComposerStore.getState().open(7);
    useComposerStore.getState().setMode('reply');
    await useComposerStore.getState().submit();
    expect(useComposerStore.getState().textError).toBe('Write a reply first');
    expect(calls.some((c) => c.channel === 'conversations:send-reply')).toBe(false);
  });

  it('sends a reply with its mode and undo window, and clears the text and draft', async () => {
    answers['drafts:get'] = () => ({ text: '', attachments: [] });
    answers['drafts:save'] = () => ({});
    answers['conversations:send-reply'] = (input) => ({ id: 99, conversationId: input.id, direction: 'outbound', text: input.text, delivery: null });
    useComposerStore.getState().open(8);
    useComposerStore.getState().setMode('reply-all');
    useComposerStore.getState().setText('It ships today.');
    await useComposerStore.getState().submit();
    expect(calls.find((c) => c.channel === 'conversations:send-reply')!.input).toEqual({ id: 8, mode: 'reply-all', text: 'It ships today.', undoSeconds: 5 });
    expect(useComposerStore.getState()).toMatchObject({ text: '', draft: 'empty', pending: { messageId: 99, conversationId: 8, mode: 'reply-all' } });
    await useComposerStore.getState().flushDraft();
    expect(calls.filter((c) => c.channel === 'drafts:save').at(-1)!.input).toEqual({ conversationId: 8, text: '' });
  });

  describe('recipients, forward and collisions', () => {
    function message(id: number, extra: Partial<Message> = {}): Message {
      const from = { name: 'Carol', address: 'c8@example.com' };
      return testMessage({ id, conversationId: 8, from, subject: 'Question 8', date: '2026-12-01T10:00:00.000Z', text: 'Hello', ...extra });
    }
    const sent = () => calls.filter((c) => c.channel === 'conversations:send-reply').map((c) => c.input);

    beforeEach(() => {
      answers['drafts:get'] = () => ({ text: '', attachments: [] });
      answers['drafts:save'] = () => ({});
      answers['conversations:send-reply'] = (input) => ({ id: 99, conversationId: input.id, direction: 'outbound', text: input.text, delivery: null });
      useConversationStore.setState({ id: 8, detail: { conversation: summary(8), messages: [message(1), message(2, { direction: 'note' })] } });
      useComposerStore.getState().open(null);
      useComposerStore.getState().open(8);
    });

    it('sends the To, Cc and Bcc as edited, and says which field is wrong instead of sending', async () => {
      const composer = useComposerStore.getState();
      composer.setText('See you.');
      composer.setRecipients({ to: 'Carol <c8@example.com>', cc: 'boss@example.com, not-an-address', bcc: '' });
      await useComposerStore.getState().submit();
      expect(sent()).toEqual([]);
      expect(useComposerStore.getState().recipientErrors).toEqual({ cc: '“not-an-address” is not an email address. Write it like name@example.com.' });

      useComposerStore.getState().setRecipients({ to: 'Carol <c8@example.com>', cc: 'boss@example.com', bcc: 'Lead <lead@acme.test>' });
      expect(useComposerStore.getState().recipientErrors).toEqual({});
      await useComposerStore.getState().submit();
      expect(sent()).toEqual([
        {
          id: 8,
          mode: 'reply',
          text: 'See you.',
          undoSeconds: 5,
          recipients: {
            to: [{ name: 'Carol', address: 'c8@example.com' }],
            cc: [{ name: '', address: 'boss@example.com' }],
            bcc: [{ name: 'Lead', address: 'lead@acme.test' }],
          },
        },
      ]);
    });

    it('Undo puts the edited recipients back with the text', async () => {
      answers['outbox:cancel'] = () => ({ text: 'See you.', attachments: [] });
      useComposerStore.getState().setText('See you.');
      const fields = { to: 'c8@example.com', cc: '', bcc: 'lead@acme.test' };
      useComposerStore.getState().setRecipients(fields);
      await useComposerStore.getState().submit();
      expect(useComposerStore.getState().recipients).toBeNull();
      await useComposerStore.getState().undo();
      expect(useComposerStore.getState()).toMatchObject({ text: 'See you.', mode: 'reply', recipients: fields });
    });

    it('Forward takes the newest message that is not a note, needs a To, sends it with the message, then goes back to Reply', async () => {
      useComposerStore.getState().setMode('forward');
      expect(useComposerStore.getState()).toMatchObject({ mode: 'forward', forwardOf: 1, recipients: null });
      await useComposerStore.getState().submit();
      expect(useComposerStore.getState().recipientErrors).toEqual({ to: 'Enter at least one To address' });
      expect(sent()).toEqual([]);

      useComposerStore.getState().forward(1);
      useComposerStore.getState().setRecipients({ to: 'workshop@partner.example', cc: '', bcc: '' });
      await useComposerStore.getState().submit();
      // No text is fine for a forward: the forwarded message is the content.
      expect(sent()).toEqual([
        {
          id: 8,
          mode: 'forward',
          text: '',
          undoSeconds: 5,
          forwardOf: 1,
          recipients: { to: [{ name: '', address: 'workshop@partner.example' }], cc: [], bcc: [] },
        },
      ]);
      expect(useComposerStore.getState()).toMatchObject({ mode: 'reply', forwardOf: null, recipients: null });
    });

    it('warns on Send when a teammate’s reply arrived after the draft began, and sends only when told to', async () => {
      useComposerStore.getState().setText('Your order ships today.');
      expect(useComposerStore.getState().threadSeen).toBe(2);
      // Grace's reply, found in the Sent folder (no delivery of this desktop).
      const theirs = message(3, { direction: 'outbound', kind: 'own', sentBy: 'Grace <grace@acme.test>', date: '2026-12-01T10:05:00.000Z' });
      useConversationStore.setState({ detail: { conversation: summary(8), messages: [message(1), message(2, { direction: 'note' }), theirs] } });
      await useComposerStore.getState().submit();
      expect(sent()).toEqual([]);
      expect(useComposerStore.getState().collision).toEqual({ kind: 'replied', who: 'Grace', at: '2026-12-01T10:05:00.000Z' });

      await useComposerStore.getState().submit({ anyway: true });
      expect(sent()).toHaveLength(1);
      expect(useComposerStore.getState().collision).toBeNull();
    });

    it('does not warn about replies that were there before the draft began, or sent from this desktop; “Don’t send” counts them as seen', async () => {
      const earlier = message(3, { direction: 'outbound', sentBy: 'Grace <grace@acme.test>' });
      useConversationStore.setState({ detail: { conversation: summary(8), messages: [message(1), earlier] } });
      useComposerStore.getState().setText('Draft');
      const ours = message(4, { direction: 'outbound', delivery: { state: 'sent', error: null, attempts: 1, nextAttemptAt: null, refused: [], filing: null } });
      const later = message(5, { direction: 'outbound', sentBy: null });
      useConversationStore.setState({ detail: { conversation: summary(8), messages: [message(1), earlier, ours, later] } });
      await useComposerStore.getState().submit();
      expect(useComposerStore.getState().collision).toMatchObject({ kind: 'replied', who: 'Someone using another mail program' });
      useComposerStore.getState().dismissCollision();
      expect(useComposerStore.getState().collision).toBeNull();
      await useComposerStore.getState().submit();
      expect(sent()).toHaveLength(1);
    });

    it('warns when a teammate is replying right now', async () => {
      useConversationStore.setState({ detail: { conversation: summary(8, { replying: ['Grace'] }), messages: [message(1)] } });
      useComposerStore.getState().setText('Draft');
      await useComposerStore.getState().submit();
      expect(useComposerStore.getState().collision).toEqual({ kind: 'replying', who: 'Grace' });
      expect(sent()).toEqual([]);
    });
  });
});
