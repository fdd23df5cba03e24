// The shapes of the public API (api/openapi.yaml) the app reads.

export type Id = string;

export interface User {
  id: Id;
  username: string;
  email: string;
  display_name: string;
  created_at: string;
}

export interface Profile {
  id: Id;
  username: string;
  display_name: string;
  bio: string;
  created_at: string;
  dm_policy?: 'everyone' | 'contacts';
}

export interface Session {
  id: Id;
  created_at: string;
  last_used_at: string;
  user_agent: string | null;
  ip: string;
  current: boolean;
}

export interface Contact {
  user: Profile;
  since: string;
}

export interface ContactRequest {
  id: Id;
  from_user: Profile;
  to_user: Profile;
  status: 'pending';
  created_at: string;
}

export interface Block {
  user: Profile;
  since: string;
}

export type Role = 'owner' | 'admin' | 'member';

export interface Member {
  user_id: Id;
  role: Role;
}

export interface Message {
  id: Id;
  conversation_id: Id;
  seq: number;
  sender_id: Id;
  body: string | null;
  client_id: string | null;
  created_at: string;
  edited_at: string | null;
  deleted: boolean;
}

export interface Conversation {
  id: Id;
  kind: 'direct' | 'group';
  title: string | null;
  members: Member[];
  created_at: string;
  last_message: Message | null;
  unread_count: number;
}

export interface List<T> {
  items: T[];
  next_cursor: string | null;
}

export interface MessagePage {
  items: Message[];
  has_more: boolean;
}

export type SyncEvent =
  | { type: 'message.created' | 'message.updated' | 'message.deleted'; conversation_id: Id; message: Message }
  | { type: 'conversation.created' | 'conversation.updated' | 'read.updated'; conversation_id: Id; conversation: Conversation }
  | { type: 'member.added' | 'member.removed'; conversation_id: Id; conversation: Conversation; user_id: Id };

export interface SyncPage {
  cursor: string;
  events: SyncEvent[];
}

export interface AuthResponse {
  user: User;
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
}

export interface InviteCode {
  code: string;
  expires_at: string;
}
