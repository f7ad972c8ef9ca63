import { describe, expect, it } from 'vitest';
import { conversationListInput, MAX_SEARCH_LENGTH } from './conversation';

describe('conversationListInput', () => {
  it('refuses search text over the limit with a message that says the limit', () => {
    expect(conversationListInput.safeParse({ view: 'all', query: 'x'.repeat(MAX_SEARCH_LENGTH) }).success).toBe(true);
    const tooLong = conversationListInput.safeParse({ view: 'all', query: 'x'.repeat(MAX_SEARCH_LENGTH + 1) });
    expect(tooLong.success).toBe(false);
    expect(tooLong.error?.issues[0]?.message).toBe('Search text can be at most 500 characters');
  });
});
