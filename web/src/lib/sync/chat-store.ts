// The client's copy of the caller's conversations and messages, outside React. The sync engine and
// the send queue write to it; components read it through useSyncExternalStore (see
// chat-context.tsx) and never fetch events on their own. Every update makes a new state object, so
// a snapshot never changes under a reader.
import type { Conversation, Id, Message, SyncEvent } from '../api/types';

export type ConnectionStatus = 'connecting' | 'live' | 'reconnecting';

export interface Timeline {
  messages: Message[]; // ascending seq, no duplicates
  hasOlder: boolean;
  loadingOlder: boolean;
  error: string | null;
}

export type PendingState = 'pending' | 'failed';
export interface PendingMessage {
  clientId: string;
  conversationId: Id;
  body: string;
  state: PendingState;
  createdAt: string;
  retryable: boolean; // failed because the server was away: resent by itself when it is back
  error?: { status: number; code: string; message: string; field?: string };
}

export interface ChatState {
  status: ConnectionStatus;
  loaded: boolean; // the conversation list has been read at least once
  conversations: Record<Id, Conversation>;
  timelines: Record<Id, Timeline>;
  pending: Record<string, PendingMessage>; // by client_id, in the order they were written
  removed: Record<Id, true>; // conversations the caller left or was removed from in this session
}

type Listener = () => void;

const emptyState = (): ChatState => ({
  status: 'connecting',
  loaded: false,
  conversations: {},
  timelines: {},
  pending: {},
  removed: {},
});

// Inserts or replaces messages by seq, keeping ascending order.
export function mergeMessages(existing: Message[], incoming: Message[]): Message[] {
  if (incoming.length === 0) return existing;
  const bySeq = new Map<number, Message>();
  for (const m of existing) bySeq.set(m.seq, m);
  for (const m of incoming) bySeq.set(m.seq, m);
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}

// Latest activity first: the newest message, or the creation time of a conversation without one.
export function activityTime(c: Conversation): string {
  return c.last_message?.created_at ?? c.created_at;
}

export class ChatStore {
  private state: ChatState = emptyState();
  private listeners = new Set<Listener>();

  constructor(readonly me: Id) {}

  getState = (): ChatState => this.state;

  subscribe = (listener: Listener): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  private set(next: Partial<ChatState>): void {
    this.state = { ...this.state, ...next };
    this.listeners.forEach((l) => l());
  }

  setStatus(status: ConnectionStatus): void {
    if (this.state.status !== status) this.set({ status });
  }

  // A full reload (start, or cursor_expired): the list is replaced; timelines are kept only for
  // the conversations still there, replaced by fresh pages by the caller.
  replaceConversations(list: Conversation[]): void {
    const conversations: Record<Id, Conversation> = {};
    for (const c of list) conversations[c.id] = c;
    const timelines: Record<Id, Timeline> = {};
    for (const [id, t] of Object.entries(this.state.timelines)) if (conversations[id]) timelines[id] = t;
    this.set({ conversations, timelines, loaded: true });
  }

  upsertConversation(c: Conversation): void {
    const removed = { ...this.state.removed };
    delete removed[c.id];
    this.set({ conversations: { ...this.state.conversations, [c.id]: c }, removed });
  }

  removeConversation(id: Id): void {
    const conversations = { ...this.state.conversations };
    const timelines = { ...this.state.timelines };
    delete conversations[id];
    delete timelines[id];
    this.set({ conversations, timelines, removed: { ...this.state.removed, [id]: true } });
  }

  // Messages read from history. replace: drop what was there (a reload after cursor_expired).
  addHistory(conversationId: Id, messages: Message[], hasOlder: boolean | null, replace = false): void {
    const current = this.state.timelines[conversationId];
    const timeline: Timeline = {
      messages: mergeMessages(replace || !current ? [] : current.messages, messages),
      hasOlder: hasOlder ?? current?.hasOlder ?? true,
      loadingOlder: false,
      error: null,
    };
    this.set({ timelines: { ...this.state.timelines, [conversationId]: timeline } });
    this.settlePending(messages);
  }

  setTimelineLoading(conversationId: Id, loadingOlder: boolean, error: string | null = null): void {
    const current = this.state.timelines[conversationId] ?? { messages: [], hasOlder: true, loadingOlder: false, error: null };
    this.set({ timelines: { ...this.state.timelines, [conversationId]: { ...current, loadingOlder, error } } });
  }

  // A message the server confirmed (the answer to a send or an edit, or an event).
  upsertMessage(m: Message): void {
    const timelines = { ...this.state.timelines };
    const t = timelines[m.conversation_id];
    if (t) timelines[m.conversation_id] = { ...t, messages: mergeMessages(t.messages, [m]) };
    const conversations = { ...this.state.conversations };
    const c = conversations[m.conversation_id];
    if (c) {
      const last = c.last_message;
      if (!last || m.seq > last.seq) {
        const fromOther = m.sender_id !== this.me && !m.deleted;
        conversations[c.id] = { ...c, last_message: m, unread_count: c.unread_count + (fromOther ? 1 : 0) };
      } else if (last.seq === m.seq) {
        conversations[c.id] = { ...c, last_message: m };
      }
    }
    this.set({ timelines, conversations });
    this.settlePending([m]);
  }

  // The caller read up to seq: unread are the others' messages after it (all of them when seq is
  // the newest; else counted in the loaded history, the server's read.updated event corrects it).
  markReadLocally(conversationId: Id, seq: number): void {
    const c = this.state.conversations[conversationId];
    if (!c || c.unread_count === 0) return;
    let unread = 0;
    if (c.last_message && seq < c.last_message.seq) {
      const loaded = this.state.timelines[conversationId]?.messages ?? [];
      unread = loaded.filter((m) => m.seq > seq && m.sender_id !== this.me && !m.deleted).length;
      unread = Math.min(c.unread_count, Math.max(unread, 1));
    }
    if (unread !== c.unread_count) this.upsertConversation({ ...c, unread_count: unread });
  }

  applyEvents(events: SyncEvent[]): void {
    for (const e of events) {
      switch (e.type) {
        case 'message.created':
        case 'message.updated':
        case 'message.deleted':
          this.upsertMessage(e.message);
          break;
        case 'member.removed':
          if (e.user_id === this.me) this.removeConversation(e.conversation_id);
          else this.upsertConversation(e.conversation);
          break;
        default:
          // conversation.created/updated, read.updated, member.added; an event type this version
          // does not know is skipped rather than stopping sync.
          if ('conversation' in e && e.conversation) this.upsertConversation(e.conversation);
      }
    }
  }

  // The send queue's side.
  addPending(p: PendingMessage): void {
    this.set({ pending: { ...this.state.pending, [p.clientId]: p } });
  }
  updatePending(clientId: string, patch: Partial<PendingMessage>): void {
    const p = this.state.pending[clientId];
    if (p) this.set({ pending: { ...this.state.pending, [clientId]: { ...p, ...patch } } });
  }
  dropPending(clientId: string): void {
    if (!this.state.pending[clientId]) return;
    const pending = { ...this.state.pending };
    delete pending[clientId];
    this.set({ pending });
  }
  // A pending message is settled by the first of the server's answer and its echo through sync.
  private settlePending(messages: Message[]): void {
    const settled = messages.filter((m) => m.sender_id === this.me && m.client_id && this.state.pending[m.client_id]);
    if (settled.length === 0) return;
    const pending = { ...this.state.pending };
    settled.forEach((m) => delete pending[m.client_id!]);
    this.set({ pending });
  }
}
