// Wraps a component under test in the app's contexts, with a signed-in user and chat actions the
// test controls (no server: component tests check what the component does with them).
import type { ReactNode } from 'react';
import { vi } from 'vitest';
import type { Profile } from '../lib/api/types';
import { AuthContext, type AuthApi } from '../lib/auth/auth-context';
import { I18nProvider, type Locale } from '../lib/i18n/i18n';
import { ChatContext, type ChatActions } from '../lib/sync/chat-context';
import { ChatStore } from '../lib/sync/chat-store';

export const me: Profile = { id: 'me', username: 'me', display_name: 'Me', bio: '', created_at: '2026-01-01T00:00:00.000Z', dm_policy: 'everyone' };

export function fakeChat(store = new ChatStore(me.id)): ChatActions {
  return {
    store,
    send: vi.fn(),
    retry: vi.fn(),
    discard: vi.fn(),
    openTimeline: vi.fn(async () => {}),
    loadOlder: vi.fn(async () => {}),
    markRead: vi.fn(),
    edit: vi.fn(async () => {}),
    remove: vi.fn(async () => {}),
    adopt: vi.fn(),
    forget: vi.fn(),
  };
}

export function Providers({ children, chat, locale = 'en' }: { children: ReactNode; chat: ChatActions; locale?: Locale }) {
  const auth: AuthApi = {
    state: { status: 'signed-in', user: me },
    login: vi.fn(), register: vi.fn(), logout: vi.fn(), updateUser: vi.fn(), retry: vi.fn(), forget: vi.fn(),
  };
  return (
    <I18nProvider locale={locale}>
      <AuthContext.Provider value={auth}>
        <ChatContext.Provider value={chat}>{children}</ChatContext.Provider>
      </AuthContext.Provider>
    </I18nProvider>
  );
}
