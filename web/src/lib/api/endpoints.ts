// Every API call the app makes, typed, through the one client.
import { api } from '../api-client';
import type {
  Block, Contact, ContactRequest, Conversation, Id, InviteCode, List, Message, MessagePage, Profile, Session, SyncPage,
} from './types';

const enc = encodeURIComponent;
const post = <T>(path: string, body?: unknown) => api.request<T>(path, { method: 'POST', body: body ?? {} });

// Reads every page of a list (lists the app shows whole: contacts, requests, conversations).
export async function allPages<T>(path: string): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 100; page++) {
    const sep = path.includes('?') ? '&' : '?';
    const list: List<T> = await api.request<List<T>>(`${path}${sep}limit=200${cursor ? `&cursor=${enc(cursor)}` : ''}`);
    items.push(...list.items);
    cursor = list.next_cursor;
    if (!cursor) break;
  }
  return items;
}

export const authApi = {
  sessions: () => api.request<List<Session>>('/api/v1/auth/sessions').then((l) => l.items),
  revokeSession: (id: Id) => api.request<void>(`/api/v1/auth/sessions/${enc(id)}`, { method: 'DELETE' }),
  changePassword: (current_password: string, new_password: string) =>
    post<void>('/api/v1/auth/password', { current_password, new_password }),
  deleteAccount: (password: string) => api.request<void>('/api/v1/auth/account', { method: 'DELETE', body: { password } }),
};

export const usersApi = {
  me: () => api.request<Profile>('/api/v1/users/me'),
  updateMe: (patch: Partial<Pick<Profile, 'display_name' | 'bio' | 'dm_policy'>>) =>
    api.request<Profile>('/api/v1/users/me', { method: 'PATCH', body: patch }),
  get: (id: Id) => api.request<Profile>(`/api/v1/users/${enc(id)}`),
  search: (query: string, signal?: AbortSignal) =>
    api.request<List<Profile>>(`/api/v1/users?query=${enc(query)}&limit=20`, { signal }).then((l) => l.items),
};

export const contactsApi = {
  list: () => allPages<Contact>('/api/v1/contacts'),
  requests: (direction: 'incoming' | 'outgoing') => allPages<ContactRequest>(`/api/v1/contacts/requests?direction=${direction}`),
  request: (userId: Id) => post<ContactRequest>('/api/v1/contacts/requests', { user_id: userId }),
  accept: (id: Id) => post<Contact>(`/api/v1/contacts/requests/${enc(id)}/accept`),
  decline: (id: Id) => post<void>(`/api/v1/contacts/requests/${enc(id)}/decline`),
  cancel: (id: Id) => api.request<void>(`/api/v1/contacts/requests/${enc(id)}`, { method: 'DELETE' }),
  remove: (userId: Id) => api.request<void>(`/api/v1/contacts/${enc(userId)}`, { method: 'DELETE' }),
  blocks: () => allPages<Block>('/api/v1/blocks'),
  block: (userId: Id) => api.request<void>(`/api/v1/blocks/${enc(userId)}`, { method: 'PUT' }),
  unblock: (userId: Id) => api.request<void>(`/api/v1/blocks/${enc(userId)}`, { method: 'DELETE' }),
};

export const conversationsApi = {
  list: () => allPages<Conversation>('/api/v1/conversations'),
  get: (id: Id) => api.request<Conversation>(`/api/v1/conversations/${enc(id)}`),
  openDirect: (userId: Id) => post<Conversation>('/api/v1/conversations', { kind: 'direct', user_id: userId }),
  createGroup: (title: string, memberIds: Id[]) =>
    post<Conversation>('/api/v1/conversations', { kind: 'group', title, member_ids: memberIds }),
  rename: (id: Id, title: string) => api.request<Conversation>(`/api/v1/conversations/${enc(id)}`, { method: 'PATCH', body: { title } }),
  addMember: (id: Id, userId: Id) => post<Conversation>(`/api/v1/conversations/${enc(id)}/members`, { user_id: userId }),
  removeMember: (id: Id, userId: Id) =>
    api.request<void>(`/api/v1/conversations/${enc(id)}/members/${enc(userId)}`, { method: 'DELETE' }),
  inviteCode: (id: Id) => post<InviteCode>(`/api/v1/conversations/${enc(id)}/invite-code`),
  join: (code: string) => post<Conversation>('/api/v1/conversations/join', { code }),
  messages: (id: Id, query: { before_seq?: number; after_seq?: number; limit?: number }) => {
    const params = new URLSearchParams();
    Object.entries(query).forEach(([k, v]) => v !== undefined && params.set(k, String(v)));
    return api.request<MessagePage>(`/api/v1/conversations/${enc(id)}/messages?${params}`);
  },
  send: (id: Id, body: string, clientId: string) =>
    post<Message>(`/api/v1/conversations/${enc(id)}/messages`, { body, client_id: clientId }),
  edit: (id: Id, messageId: Id, body: string) =>
    api.request<Message>(`/api/v1/conversations/${enc(id)}/messages/${enc(messageId)}`, { method: 'PATCH', body: { body } }),
  remove: (id: Id, messageId: Id) =>
    api.request<void>(`/api/v1/conversations/${enc(id)}/messages/${enc(messageId)}`, { method: 'DELETE' }),
  markRead: (id: Id, seq: number) => post<void>(`/api/v1/conversations/${enc(id)}/read`, { seq }),
};

export const syncApi = {
  poll: (cursor: string | null, timeoutMs: number, signal?: AbortSignal) =>
    api.request<SyncPage>(cursor ? `/api/v1/sync?cursor=${enc(cursor)}&timeout_ms=${timeoutMs}` : '/api/v1/sync', { signal }),
};
