// A conversation's details. A group: its name (owner and admins rename it), its members (owner and
// admins add and remove them), an invite code to share, and leaving. A direct conversation: the
// other person's profile.
import { useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router-dom';
import { Avatar } from '../../../components/avatar';
import { Button, IconButton } from '../../../components/button';
import { Dialog } from '../../../components/dialog';
import { FormMessage, TextField } from '../../../components/field';
import { CloseIcon } from '../../../components/icons';
import { useFormError } from '../../../hooks/use-form-error';
import { ApiError } from '../../../lib/api-client';
import { conversationsApi } from '../../../lib/api/endpoints';
import type { Conversation, InviteCode, Member } from '../../../lib/api/types';
import { useMe } from '../../../lib/auth/auth-context';
import { useI18n } from '../../../lib/i18n/i18n';
import { useChatActions } from '../../../lib/sync/chat-context';
import { useProfile } from '../../../lib/users/profiles';
import { usePersonName } from '../hooks/use-conversation-title';
import { PeoplePicker } from './people-picker';
import styles from './dialogs.module.css';

export function ConversationDetailsDialog({ conversation, open, onClose }: { conversation: Conversation; open: boolean; onClose: () => void }) {
  const { t } = useI18n();
  return (
    <Dialog title={conversation.kind === 'group' ? t('group.title') : t('direct.title')} open={open} onClose={onClose} wide>
      {conversation.kind === 'group' ? <GroupDetails conversation={conversation} onClose={onClose} /> : <DirectDetails conversation={conversation} />}
    </Dialog>
  );
}

function DirectDetails({ conversation }: { conversation: Conversation }) {
  const me = useMe();
  const { t, formatDate } = useI18n();
  const otherId = conversation.members.find((m) => m.user_id !== me.id)?.user_id;
  const other = useProfile(otherId);
  if (!other) return null;
  if (other === 'deleted') return <p>{t('conv.deletedUser')}</p>;
  return (
    <div>
      <div className={styles.member}>
        <Avatar id={other.id} name={other.display_name} size={44} />
        <div className={styles.memberName}>
          <strong dir="auto">{other.display_name}</strong>
          <div className={styles.muted}>@{other.username} · {formatDate(other.created_at)}</div>
        </div>
      </div>
      {other.bio && <p className={styles.bio} dir="auto">{other.bio}</p>}
    </div>
  );
}

function GroupDetails({ conversation: c, onClose }: { conversation: Conversation; onClose: () => void }) {
  const { t, formatDateTime } = useI18n();
  const me = useMe();
  const navigate = useNavigate();
  const { adopt, forget } = useChatActions();
  const myRole = c.members.find((m) => m.user_id === me.id)?.role;
  const manager = myRole === 'owner' || myRole === 'admin';
  const [title, setTitle] = useState(c.title ?? '');
  const [invite, setInvite] = useState<InviteCode | null>(null);
  const [copied, setCopied] = useState(false);
  const [adding, setAdding] = useState(false);
  const [leaving, setLeaving] = useState(false);
  const errors = useFormError();

  async function act(fields: string[], action: () => Promise<void>) {
    errors.clear();
    try {
      await action();
    } catch (e) {
      errors.set(e, fields);
    }
  }

  return (
    <div>
      <FormMessage>{errors.formError}</FormMessage>
      {manager && (
        <form className={styles.row} onSubmit={(e: FormEvent) => {
          e.preventDefault();
          void act(['title'], async () => adopt(await conversationsApi.rename(c.id, title.trim())));
        }}>
          <TextField label={t('group.rename')} value={title} onChange={(e) => setTitle(e.target.value)} maxLength={100}
            required error={errors.fieldError('title')} />
          <Button type="submit" disabled={!title.trim() || title.trim() === c.title}>{t('group.save')}</Button>
        </form>
      )}

      <section className={styles.section}>
        <h3>{t('group.members')} ({c.members.length})</h3>
        <ul className={styles.members}>
          {c.members.map((m) => (
            <MemberRow key={m.user_id} member={m} removable={manager && m.user_id !== me.id && m.role !== 'owner'}
              onRemove={() => void act([], async () => {
                await conversationsApi.removeMember(c.id, m.user_id);
                adopt({ ...c, members: c.members.filter((x) => x.user_id !== m.user_id) });
              })} />
          ))}
        </ul>
        {manager && (adding ? (
          <div className={styles.section}>
            <h3>{t('group.addMember')}</h3>
            <PeoplePicker actionLabel={t('people.add')} exclude={c.members.map((m) => m.user_id)}
              onPick={(p) => void act([], async () => {
                try {
                  await conversationsApi.addMember(c.id, p.id);
                } catch (e) {
                  if (e instanceof ApiError && e.code === 'permission_denied') return errors.setText(t('new.cannotAdd', { name: p.display_name }));
                  throw e;
                }
                adopt(await conversationsApi.get(c.id));
                setAdding(false);
              })} />
          </div>
        ) : (
          <div className={styles.actions}>
            <Button onClick={() => setAdding(true)}>{t('group.addMember')}</Button>
          </div>
        ))}
      </section>

      {manager && (
        <section className={styles.section}>
          <h3>{t('group.invite')}</h3>
          {invite ? (
            <div className={styles.code}>
              <code data-testid="invite-code">{invite.code}</code>
              <Button onClick={() => void navigator.clipboard?.writeText(invite.code).then(() => setCopied(true), () => undefined)}>
                {copied ? t('group.copied') : t('group.copy')}
              </Button>
              <span className={styles.muted}>{t('group.expires', { time: formatDateTime(invite.expires_at) })}</span>
            </div>
          ) : (
            <Button onClick={() => void act([], async () => setInvite(await conversationsApi.inviteCode(c.id)))}>
              {t('group.createCode')}
            </Button>
          )}
        </section>
      )}

      <section className={styles.section}>
        {leaving ? (
          <div>
            <p>{t('group.leaveConfirm')}</p>
            <div className={styles.actions}>
              <Button onClick={() => setLeaving(false)}>{t('dialog.cancel')}</Button>
              <Button variant="danger" onClick={() => void act([], async () => {
                await conversationsApi.removeMember(c.id, me.id);
                onClose();
                forget(c.id);
                navigate('/conversations');
              })}>{t('group.leave')}</Button>
            </div>
          </div>
        ) : (
          <Button variant="danger" onClick={() => setLeaving(true)}>{t('group.leave')}</Button>
        )}
      </section>
    </div>
  );
}

function MemberRow({ member, removable, onRemove }: { member: Member; removable: boolean; onRemove: () => void }) {
  const { t } = useI18n();
  const name = usePersonName(member.user_id);
  return (
    <li className={styles.member}>
      <Avatar id={member.user_id} name={name} size={28} />
      <span className={styles.memberName} dir="auto">{name}</span>
      <span className={styles.role}>{t(`group.role.${member.role}`)}</span>
      {removable && (
        <IconButton label={t('group.removeMember', { name })} onClick={onRemove}>
          <CloseIcon />
        </IconButton>
      )}
    </li>
  );
}
