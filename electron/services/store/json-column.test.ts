import { describe, expect, it } from 'vitest';
import { openDatabase } from './database';
import { MailStore } from './mail-store';
import { readAddresses } from './json-column';

describe('JSON columns', () => {
  it('read back through their schema', () => {
    expect(readAddresses('[{"name":"Ann","address":"ann@example.com"}]', 'To addresses')).toEqual([{ name: 'Ann', address: 'ann@example.com' }]);
    expect(readAddresses(null, 'Reply-To addresses')).toEqual([]);
  });

  it('name the column when a stored value is damaged or of the wrong shape', () => {
    expect(() => readAddresses('[{"name":', 'To addresses')).toThrow('The stored To addresses is not valid JSON');
    expect(() => readAddresses('[{"name":"Ann"}]', 'Cc addresses')).toThrow(/The stored Cc addresses is not in the expected form/);
  });

  it('keep a damaged row from reaching the renderer as a wrong type', () => {
    const db = openDatabase(':memory:');
    const store = new MailStore(db);
    const conversationId = store.createConversation({
      channelId: 'ch',
      subject: 'Help',
      customer: { name: 'Ann', address: 'ann@example.com' },
      assigneeId: null,
      token: 'TOKEN123',
      at: '2026-01-01T00:00:00.000Z',
    });
    const id = store.insertMessage(
      {
        conversationId,
        channelId: 'ch',
        direction: 'inbound',
        kind: 'normal',
        messageId: null,
        inReplyTo: null,
        references: [],
        dedupeKey: null,
        subject: 'Help',
        from: { name: 'Ann', address: 'ann@example.com' },
        to: [],
        cc: [],
        date: '2026-01-01T00:00:00.000Z',
        text: 'hi',
        html: null,
        parseError: null,
        raw: null,
        rawPath: null,
        size: 0,
        authorAgentId: null,
        createdAt: '2026-01-01T00:00:00.000Z',
        attachments: [],
      },
      { at: '2026-01-01T00:00:00.000Z', unread: true, reopen: false, summary: true },
    );
    expect(store.message(id)?.to).toEqual([]);
    db.prepare('UPDATE messages SET to_json = ? WHERE id = ?').run('{"address":"not a list"}', id);
    expect(() => store.message(id)).toThrow(/To addresses/);
    db.close();
  });
});
