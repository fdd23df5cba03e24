import type { Conversation } from '../../../lib/api/types';
import { useMe } from '../../../lib/auth/auth-context';
import { useI18n } from '../../../lib/i18n/i18n';
import { useProfile } from '../../../lib/users/profiles';

// What a conversation is called: a group's title, or the other person's name in a direct one
// ("Deleted user" once their account is gone).
export function useConversationTitle(c: Conversation | undefined): string {
  const me = useMe();
  const { t } = useI18n();
  const otherId = c?.kind === 'direct' ? c.members.find((m) => m.user_id !== me.id)?.user_id : undefined;
  const other = useProfile(otherId);
  if (!c) return '';
  if (c.kind === 'group') return c.title ?? '';
  if (other === 'deleted') return t('conv.deletedUser');
  if (!otherId) return t('conv.untitledDirect');
  return other?.display_name ?? '…';
}

// A person's name as the app shows it.
export function usePersonName(id: string | undefined): string {
  const me = useMe();
  const { t } = useI18n();
  const profile = useProfile(id === me.id ? undefined : id);
  if (!id) return '';
  if (id === me.id) return me.display_name;
  if (profile === 'deleted') return t('conv.deletedUser');
  return profile?.display_name ?? '…';
}
