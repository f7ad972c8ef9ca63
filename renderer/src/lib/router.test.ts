import { describe, expect, it } from 'vitest';
import { conversationHref, inboxViewHref, parseInboxLocation, parseRoute } from './router';

describe('hash routes', () => {
  it('knows the pages and falls back to Channels', () => {
    expect(parseRoute('#/inbox/all')).toBe('inbox');
    expect(parseRoute('#/inbox/c/12')).toBe('inbox');
    expect(parseRoute('#/settings')).toBe('settings');
    expect(parseRoute('#/nowhere')).toBe('channels');
    expect(parseRoute('')).toBe('channels');
  });

  it('reads the inbox view and the open conversation', () => {
    expect(parseInboxLocation(inboxViewHref('mine'))).toEqual({ view: 'mine', conversationId: null });
    expect(parseInboxLocation(conversationHref(42))).toEqual({ view: null, conversationId: 42 });
    expect(parseInboxLocation('#/inbox')).toEqual({ view: null, conversationId: null });
    expect(parseInboxLocation('#/inbox/c/abc')).toEqual({ view: null, conversationId: null });
    expect(parseInboxLocation('#/inbox/everything')).toEqual({ view: null, conversationId: null });
    expect(parseInboxLocation('#/channels')).toEqual({ view: null, conversationId: null });
  });
});
