import type { Page, WebSocketRoute } from 'playwright-core';
import { z } from 'zod';
import { contract, isChannelName } from '../../shared/contract';
import type { ConversationSummary, Message } from '../../shared/conversation';
import { testMessage } from '../../renderer/src/features/inbox/test-message';

/**
 * An in-memory stand-in for the inbox side of the host, spliced into the page's WebSocket: calls
 * for conversations, messages, agents and settings are answered here; everything else (channels,
 * app info) still goes to the real web host. It lets the UI be checked at sizes a test mailbox
 * cannot reach quickly (100k conversations) and with hand-made hostile messages.
 */

/** The stand-in speaks the contract's types, and its answers are parsed against the contract. */
export type FakeMessage = Message;
export type FakeConversation = ConversationSummary;

export interface FakeInbox {
  conversations: FakeConversation[];
  messages: Map<number, FakeMessage[]>;
  raw: Map<number, string>;
  agents: { id: number; name: string; email: string }[];
  meAgentId: number | null;
  /** Every call the page made, by channel name, for assertions (e.g. pages never loaded all at once). */
  calls: { channel: string; input: Record<string, unknown> }[];
  /** Push an event to every connected page. */
  emit(event: string, payload: unknown): void;
}

const BASE_TIME = Date.parse('2026-11-20T09:00:00Z');

export function generateConversations(count: number, channelId = 'fake-channel'): FakeConversation[] {
  const list: FakeConversation[] = [];
  for (let i = 0; i < count; i++) {
    const id = count - i;
    list.push({
      id,
      channelId,
      subject: `Order question #${id}`,
      customer: { name: `Customer ${id}`, address: `customer${id}@example.com` },
      status: (['open', 'pending', 'closed'] as const)[id % 3]!,
      assigneeId: null,
      lastMessageAt: new Date(BASE_TIME - i * 60_000).toISOString(),
      snippet: `Hello, I have a question about order ${id} and its delivery date.`,
      unread: id % 4 === 0,
      messageCount: 1,
      failedReplies: 0,
      queuedReplies: 0,
    });
  }
  return list;
}

function messageFor(c: FakeConversation, id: number, extra: Partial<FakeMessage> = {}): FakeMessage {
  const to = [{ name: 'Support', address: 'support@auxilium.test' }];
  return testMessage({ id, conversationId: c.id, from: c.customer, to, subject: c.subject, date: c.lastMessageAt, text: c.snippet, ...extra });
}

/** Before something is added to a conversation from the list: its customer's first mail, as the pane shows it. */
export function keepFirstMessage(inbox: FakeInbox, c: FakeConversation): void {
  if (!inbox.messages.has(c.id)) inbox.messages.set(c.id, [messageFor(c, c.id * 1000)]);
}

export function addMessage(inbox: FakeInbox, conversationId: number, extra: Partial<FakeMessage>): FakeMessage {
  const c = inbox.conversations.find((x) => x.id === conversationId)!;
  const list = inbox.messages.get(conversationId) ?? [];
  const message = messageFor(c, conversationId * 1000 + list.length + 1, extra);
  list.push(message);
  inbox.messages.set(conversationId, list);
  c.messageCount = list.length;
  return message;
}

/** The sidebar's figures, counted the way the real store counts them. */
export function countsOf(inbox: Pick<FakeInbox, 'conversations' | 'meAgentId'>) {
  const mine = (c: FakeConversation) => inbox.meAgentId !== null && c.assigneeId === inbox.meAgentId;
  const unassigned = (c: FakeConversation) => c.assigneeId === null;
  // Spam and deleted conversations are out of every queue and count but their own.
  const queued = inbox.conversations.filter((c) => !c.bin);
  const open = queued.filter((c) => c.status === 'open');
  const unread = queued.filter((c) => c.status !== 'closed' && c.unread);
  return {
    mine: open.filter(mine).length,
    unassigned: open.filter(unassigned).length,
    all: open.length,
    unread: { mine: unread.filter(mine).length, unassigned: unread.filter(unassigned).length, all: unread.length },
    failed: queued.filter((c) => c.failedReplies > 0).length,
    spam: inbox.conversations.filter((c) => c.bin === 'spam').length,
    deleted: inbox.conversations.filter((c) => c.bin === 'deleted').length,
  };
}

export type Handler = (input: Record<string, unknown>) => unknown;

/** A stand-in answer that the real host could not give fails here, naming the call, not later in the page. */
function answerByContract(channel: string, value: unknown): unknown {
  if (!isChannelName(channel)) throw new Error(`The stand-in answered ${channel}, which the contract does not list`);
  const parsed = (contract[channel].output as z.ZodType).safeParse(value);
  if (parsed.success) return parsed.data;
  const problem = `The stand-in's answer to ${channel} is outside the contract: ${z.prettifyError(parsed.error)}`;
  console.error(problem);
  throw new Error(problem);
}

export interface FakeInboxOptions {
  /** More stand-in calls (e.g. the outbox), added to or replacing the built-in ones. */
  handlers?: (inbox: FakeInbox) => Record<string, Handler>;
}

export async function installFakeInbox(page: Page, conversations: FakeConversation[], options: FakeInboxOptions = {}): Promise<FakeInbox> {
  const routes = new Set<WebSocketRoute>();
  let nextId = 1_000_000_000;
  const inbox: FakeInbox = {
    conversations,
    messages: new Map(),
    raw: new Map(),
    agents: [],
    meAgentId: null,
    calls: [],
    emit(event, payload) {
      for (const ws of routes) ws.send(JSON.stringify({ event, payload }));
    },
  };

  const find = (id: unknown) => {
    const c = inbox.conversations.find((x) => x.id === id);
    if (!c) throw Object.assign(new Error('No such conversation'), { code: 'NOT_FOUND' });
    return c;
  };
  const detail = (c: FakeConversation) => ({
    conversation: { ...c },
    messages: inbox.messages.get(c.id) ?? [messageFor(c, c.id * 1000)],
  });
  const filtered = (input: Record<string, unknown>) =>
    inbox.conversations.filter((c) => {
      if (input.view === 'mine' && (inbox.meAgentId === null || c.assigneeId !== inbox.meAgentId)) return false;
      if (input.view === 'unassigned' && c.assigneeId !== null) return false;
      if (input.view === 'failed' && c.failedReplies === 0) return false;
      // Like the real store: a bin lists everything in it, whatever the status; the other views none of it.
      const binned = input.view === 'spam' || input.view === 'deleted';
      if (binned ? c.bin !== input.view : c.bin !== undefined) return false;
      if (!binned && input.status === 'active' && c.status === 'closed') return false;
      if (!binned && input.status && input.status !== 'active' && c.status !== input.status) return false;
      if (input.channelId && c.channelId !== input.channelId) return false;
      if (typeof input.query === 'string' && input.query) {
        const q = input.query.toLowerCase();
        const bodies = (inbox.messages.get(c.id) ?? []).map((m) => m.text).join(' ');
        if (!`${c.subject} ${c.customer.name} ${c.customer.address} ${c.snippet} ${bodies}`.toLowerCase().includes(q)) return false;
      }
      return true;
    });

  const handlers: Record<string, Handler> = {
    'conversations:list': (input) => {
      const all = filtered(input);
      const start = typeof input.cursor === 'string' ? Number(input.cursor) : 0;
      const limit = typeof input.limit === 'number' ? input.limit : 100;
      const items = all.slice(start, start + limit);
      return { items, nextCursor: start + limit < all.length ? String(start + limit) : null, total: all.length };
    },
    // Like the real host: open conversations per view, unread among open and pending, failed replies.
    'conversations:count': () => countsOf(inbox),
    'conversations:get': (input) => detail(find(input.id)),
    'conversations:mark-read': (input) => {
      const c = find(input.id);
      if (c.unread) {
        c.unread = false;
        inbox.emit('conversations:changed', { ids: [c.id], created: [] });
      }
      return {};
    },
    'conversations:get-summary': (input) => ({ ...find(input.id) }),
    // Like the real store: the address in any case, every channel, newest first.
    'conversations:list-by-customer': (input) => {
      const address = String(input.address).toLowerCase();
      const all = inbox.conversations
        .filter((c) => c.customer.address.toLowerCase() === address && c.id !== input.excludeId)
        .sort((a, b) => b.lastMessageAt.localeCompare(a.lastMessageAt) || b.id - a.id);
      return { items: all.slice(0, typeof input.limit === 'number' ? input.limit : 20), total: all.length };
    },
    'conversations:update-many': (input) => {
      const ids = (input.ids as number[]).filter((id) => inbox.conversations.some((c) => c.id === id));
      for (const id of ids) {
        const { bin, ...patch } = input.patch as Partial<FakeConversation> & { bin?: FakeConversation['bin'] | null };
        const c = Object.assign(find(id), patch);
        if (bin === null) delete c.bin;
        else if (bin !== undefined) c.bin = bin;
      }
      inbox.emit('conversations:changed', { ids, created: [] });
      return { ids };
    },
    // Like the real host, a change is announced to every window (the list refreshes from it).
    'conversations:set-status': (input) => {
      const c = find(input.id);
      c.status = input.status as FakeConversation['status'];
      inbox.emit('conversations:changed', { ids: [c.id], created: [] });
      return detail(c);
    },
    'conversations:assign': (input) => {
      const c = find(input.id);
      c.assigneeId = (input.agentId as number | null) ?? null;
      inbox.emit('conversations:changed', { ids: [c.id], created: [] });
      return detail(c);
    },
    'conversations:add-note': (input) => {
      const c = find(input.id);
      keepFirstMessage(inbox, c);
      const me = inbox.agents.find((a) => a.id === inbox.meAgentId);
      return addMessage(inbox, c.id, {
        direction: 'note',
        from: { name: me?.name ?? 'Me', address: me?.email ?? '' },
        to: [],
        text: String(input.text),
        date: new Date().toISOString(),
        authorAgentId: inbox.meAgentId,
      });
    },
    'messages:get-raw': (input) => ({ raw: inbox.raw.get(input.id as number) ?? '', truncated: false }),
    'agents:list': () => inbox.agents,
    'agents:save': (input) => {
      const existing = inbox.agents.find((a) => a.id === input.id);
      if (existing) Object.assign(existing, { name: input.name, email: input.email });
      const agent = existing ?? { id: nextId++, name: String(input.name), email: String(input.email) };
      if (!existing) inbox.agents.push(agent);
      return agent;
    },
    'agents:delete': (input) => {
      inbox.agents = inbox.agents.filter((a) => a.id !== input.id);
      return { id: input.id };
    },
    'settings:get': () => ({ meAgentId: inbox.meAgentId }),
    'settings:set-me': (input) => {
      inbox.meAgentId = (input.agentId as number | null) ?? null;
      return { meAgentId: inbox.meAgentId };
    },
  };

  Object.assign(handlers, options.handlers?.(inbox));

  await page.routeWebSocket(/\/ws\b/, (ws) => {
    routes.add(ws);
    const server = ws.connectToServer();
    ws.onClose(() => routes.delete(ws));
    ws.onMessage((raw) => {
      const request = JSON.parse(String(raw)) as { id: number; channel: string; input: Record<string, unknown> };
      const handler = handlers[request.channel];
      if (!handler) {
        server.send(raw);
        return;
      }
      inbox.calls.push({ channel: request.channel, input: request.input });
      let result: unknown;
      try {
        result = { ok: true, value: answerByContract(request.channel, handler(request.input)) };
      } catch (error) {
        result = { ok: false, error: { code: 'NOT_FOUND', message: (error as Error).message, retryable: false } };
      }
      ws.send(JSON.stringify({ id: request.id, result }));
    });
  });
  return inbox;
}
