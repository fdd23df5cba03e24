// Gives screens the chat state and what they may do with it. One store, one sync engine and one
// send queue per signed-in user; components subscribe with useChat(selector).
import { createContext, useContext, useEffect, useMemo, useState, useSyncExternalStore, type ReactNode } from 'react';
import { conversationsApi } from '../api/endpoints';
import type { Conversation, Id, Message } from '../api/types';
import { ChatStore, type ChatState } from './chat-store';
import { SendQueue } from './send-queue';
import { SyncEngine } from './sync-engine';

export interface ChatActions {
  store: ChatStore;
  send: (conversationId: Id, body: string) => void;
  retry: (clientId: string) => void;
  discard: (clientId: string) => void;
  // Reads the latest page of a conversation's history unless it is already there.
  openTimeline: (conversationId: Id) => Promise<void>;
  loadOlder: (conversationId: Id) => Promise<void>;
  markRead: (conversationId: Id, seq: number) => void;
  edit: (message: Message, body: string) => Promise<void>;
  remove: (message: Message) => Promise<void>;
  // A conversation the caller just made or joined: shown at once, before its event arrives.
  adopt: (conversation: Conversation) => void;
  forget: (conversationId: Id) => void;
}

export const ChatContext = createContext<ChatActions | null>(null); // exported for component tests
const PAGE = 50;

export function ChatProvider({ me, children }: { me: Id; children: ReactNode }) {
  const [parts] = useState(() => {
    const store = new ChatStore(me);
    const engine = new SyncEngine(store);
    return { store, engine, queue: null as SendQueue | null };
  });

  useEffect(() => {
    const { engine, store } = parts;
    const queue = new SendQueue(store);
    parts.queue = queue;
    const off = engine.onLive(queue.resendFailed);
    engine.start();
    queue.restore();
    return () => {
      off();
      queue.dispose();
      void engine.stop();
    };
  }, [parts]);

  const actions = useMemo<ChatActions>(() => {
    const { store } = parts;
    const queue = () => parts.queue!;
    const readSent = new Map<Id, number>();
    const opening = new Map<Id, Promise<void>>();
    return {
      store,
      send: (id, body) => void queue().submit(id, body),
      retry: (clientId) => queue().retry(clientId),
      discard: (clientId) => queue().discard(clientId),
      openTimeline: (id) => {
        const t = store.getState().timelines[id];
        if (t && !(t.error && t.messages.length === 0)) return Promise.resolve();
        let p = opening.get(id);
        if (!p) {
          store.setTimelineLoading(id, true);
          p = conversationsApi.messages(id, { limit: PAGE }).then(
            (page) => store.addHistory(id, page.items, page.has_more),
            (e) => store.setTimelineLoading(id, false, e instanceof Error ? e.message : String(e)),
          ).finally(() => opening.delete(id));
          opening.set(id, p);
        }
        return p;
      },
      loadOlder: async (id) => {
        const t = store.getState().timelines[id];
        if (!t || !t.hasOlder || t.loadingOlder || t.messages.length === 0) return;
        const before = t.messages[0].seq;
        store.setTimelineLoading(id, true);
        try {
          const page = await conversationsApi.messages(id, { before_seq: before, limit: PAGE });
          // A reload replaced the history meanwhile: this page no longer joins on; drop it.
          if (store.getState().timelines[id]?.messages[0]?.seq !== before) return store.setTimelineLoading(id, false);
          store.addHistory(id, page.items, page.has_more);
        } catch (e) {
          store.setTimelineLoading(id, false, e instanceof Error ? e.message : String(e));
        }
      },
      markRead: (id, seq) => {
        if ((readSent.get(id) ?? 0) >= seq) return;
        readSent.set(id, seq);
        store.markReadLocally(id, seq);
        conversationsApi.markRead(id, seq).catch(() => readSent.delete(id));
      },
      edit: async (m, body) => store.upsertMessage(await conversationsApi.edit(m.conversation_id, m.id, body)),
      remove: async (m) => {
        await conversationsApi.remove(m.conversation_id, m.id);
        store.upsertMessage({ ...m, body: null, deleted: true });
      },
      adopt: (c) => store.upsertConversation(c),
      forget: (id) => store.removeConversation(id),
    };
  }, [parts]);

  return <ChatContext.Provider value={actions}>{children}</ChatContext.Provider>;
}

export function useChatActions(): ChatActions {
  const value = useContext(ChatContext);
  if (!value) throw new Error('useChatActions outside ChatProvider');
  return value;
}

export function useChat<T>(select: (state: ChatState) => T): T {
  const { store } = useChatActions();
  return useSyncExternalStore(store.subscribe, () => select(store.getState()));
}
