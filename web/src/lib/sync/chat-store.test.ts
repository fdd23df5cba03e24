import { describe, expect, it } from 'vitest';
import type { Conversation, Message } from '../api/types';
import { ChatStore } from './chat-store';

const msg = (seq: number, sender: string, extra: Partial<Message> = {}): Message => ({
  id: `m${seq}`, conversation_id: 'c1', seq, sender_id: sender, body: `text ${seq}`, client_id: null,
  created_at: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString(), edited_at: null, deleted: false, ...extra,
});
const conv = (last: Message | null, unread = 0): Conversation => ({
  id: 'c1', kind: 'direct', title: null, members: [{ user_id: 'me', role: 'member' }, { user_id: 'bob', role: 'member' }],
  created_at: '2026-01-01T00:00:00.000Z', last_message: last, unread_count: unread,
});

describe('ChatStore', () => {
  it('applies the same events twice without doubling messages or unread counts', () => {
    const store = new ChatStore('me');
    store.replaceConversations([conv(null)]);
    store.addHistory('c1', [], false);
    const events = [1, 2].map((seq) => ({ type: 'message.created' as const, conversation_id: 'c1', message: msg(seq, 'bob') }));
    store.applyEvents(events);
    store.applyEvents(events); // a reload replays what was already applied
    const s = store.getState();
    expect(s.timelines.c1.messages.map((m) => m.seq)).toEqual([1, 2]);
    expect(s.conversations.c1.unread_count).toBe(2);
    expect(s.conversations.c1.last_message?.seq).toBe(2);
  });

  it('a reload: an older snapshot followed by the events after its cursor counts each message once', () => {
    const store = new ChatStore('me');
    // The snapshot already holds message 2 (read after the cursor was taken)...
    store.replaceConversations([conv(msg(2, 'bob'), 2)]);
    store.addHistory('c1', [msg(1, 'bob'), msg(2, 'bob')], false, true);
    // ...and the events from the cursor on bring 2 again, then 3.
    store.applyEvents([2, 3].map((seq) => ({ type: 'message.created' as const, conversation_id: 'c1', message: msg(seq, 'bob') })));
    expect(store.getState().conversations.c1.unread_count).toBe(3);
    expect(store.getState().timelines.c1.messages.map((m) => m.seq)).toEqual([1, 2, 3]);
  });

  it('marks read locally only up to what was seen', () => {
    const store = new ChatStore('me');
    store.replaceConversations([conv(msg(3, 'bob'), 3)]);
    store.addHistory('c1', [msg(1, 'bob'), msg(2, 'bob'), msg(3, 'bob')], false);
    store.markReadLocally('c1', 2);
    expect(store.getState().conversations.c1.unread_count).toBe(1);
    store.markReadLocally('c1', 3);
    expect(store.getState().conversations.c1.unread_count).toBe(0);
  });

  it('settles a pending message by its echo, keyed by client_id, never showing it twice', () => {
    const store = new ChatStore('me');
    store.replaceConversations([conv(null)]);
    store.addHistory('c1', [], false);
    store.addPending({ clientId: 'k1', conversationId: 'c1', body: 'hi', state: 'pending', createdAt: '', retryable: true });
    store.applyEvents([{ type: 'message.created', conversation_id: 'c1', message: msg(1, 'me', { client_id: 'k1', body: 'hi' }) }]);
    store.upsertMessage(msg(1, 'me', { client_id: 'k1', body: 'hi' })); // the send's answer, after the echo
    const s = store.getState();
    expect(s.pending).toEqual({});
    expect(s.timelines.c1.messages).toHaveLength(1);
    expect(s.conversations.c1.unread_count).toBe(0); // my own messages are never unread
  });

  it('replaces an edited or deleted message in place and forgets a conversation I was removed from', () => {
    const store = new ChatStore('me');
    store.replaceConversations([conv(msg(1, 'bob'), 1)]);
    store.addHistory('c1', [msg(1, 'bob')], false);
    store.applyEvents([{ type: 'message.deleted', conversation_id: 'c1', message: msg(1, 'bob', { body: null, deleted: true }) }]);
    expect(store.getState().timelines.c1.messages[0]).toMatchObject({ deleted: true, body: null });
    expect(store.getState().conversations.c1.last_message?.deleted).toBe(true);
    store.applyEvents([{ type: 'member.removed', conversation_id: 'c1', conversation: conv(null), user_id: 'me' }]);
    expect(store.getState().conversations.c1).toBeUndefined();
    expect(store.getState().removed.c1).toBe(true);
  });
});
