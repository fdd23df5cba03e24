// Settings: the profile (display name, bio, who may message you), theme and language, active
// sessions with sign-out per session, password change, and account deletion behind a
// confirmation that asks for the password.
import { useCallback, useEffect, useState } from 'react';
import { Button } from '../../../components/button';
import { Dialog } from '../../../components/dialog';
import { FormMessage, SelectField, TextArea, TextField } from '../../../components/field';
import { Page, Section } from '../../../components/page';
import { Failed, Loading } from '../../../components/states';
import { useFormSubmit } from '../../../hooks/use-form-submit';
import { authApi, usersApi } from '../../../lib/api/endpoints';
import type { Session } from '../../../lib/api/types';
import { useAuth, useMe } from '../../../lib/auth/auth-context';
import { describeError } from '../../../lib/errors';
import { locales, useI18n, type Locale } from '../../../lib/i18n/i18n';
import { useTheme, type ThemeChoice } from '../../../lib/theme';
import styles from './settings.module.css';

export function SettingsPage() {
  const { t } = useI18n();
  return (
    <Page title={t('settings.title')}>
      <ProfileSection />
      <AppearanceSection />
      <SessionsSection />
      <PasswordSection />
      <DeleteSection />
    </Page>
  );
}

function ProfileSection() {
  const { t } = useI18n();
  const me = useMe();
  const { updateUser } = useAuth();
  const [values, setValues] = useState({ display_name: me.display_name, bio: me.bio ?? '', dm_policy: me.dm_policy ?? 'everyone' });
  const [saved, setSaved] = useState(false);
  const { busy, errors, submit } = useFormSubmit(['display_name', 'bio', 'dm_policy']);
  const onSubmit = submit(async () => {
    setSaved(false);
    updateUser(await usersApi.updateMe({ display_name: values.display_name.trim(), bio: values.bio, dm_policy: values.dm_policy }));
    setSaved(true);
  });
  return (
    <Section title={t('settings.profile')} id="profile">
      <form onSubmit={onSubmit}>
        <FormMessage>{errors.formError}</FormMessage>
        <TextField label={t('settings.displayName')} value={values.display_name} maxLength={64} required
          error={errors.fieldError('display_name')} onChange={(e) => setValues({ ...values, display_name: e.target.value })} />
        <TextArea label={t('settings.bio')} value={values.bio} maxLength={500} dir="auto" error={errors.fieldError('bio')}
          onChange={(e) => setValues({ ...values, bio: e.target.value })} />
        <SelectField label={t('settings.dmPolicy')} value={values.dm_policy} error={errors.fieldError('dm_policy')}
          onChange={(e) => setValues({ ...values, dm_policy: e.target.value as 'everyone' | 'contacts' })}>
          <option value="everyone">{t('settings.dm.everyone')}</option>
          <option value="contacts">{t('settings.dm.contacts')}</option>
        </SelectField>
        <FormMessage tone="success">{saved ? t('settings.saved') : null}</FormMessage>
        <Button type="submit" variant="primary" disabled={busy || !values.display_name.trim()}>{t('settings.save')}</Button>
      </form>
    </Section>
  );
}

function AppearanceSection() {
  const { t, locale, setLocale } = useI18n();
  const { choice, setChoice } = useTheme();
  return (
    <Section title={t('settings.appearance')} id="appearance">
      <div className={styles.twoColumns}>
        <SelectField label={t('settings.theme')} value={choice} onChange={(e) => setChoice(e.target.value as ThemeChoice)}>
          <option value="system">{t('settings.theme.system')}</option>
          <option value="light">{t('settings.theme.light')}</option>
          <option value="dark">{t('settings.theme.dark')}</option>
        </SelectField>
        <SelectField label={t('settings.language')} value={locale} onChange={(e) => setLocale(e.target.value as Locale)}>
          {locales.map((l) => <option key={l.id} value={l.id} lang={l.id}>{l.name}</option>)}
        </SelectField>
      </div>
    </Section>
  );
}

function SessionsSection() {
  const { t, formatDateTime } = useI18n();
  const [sessions, setSessions] = useState<Session[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = useCallback(() => authApi.sessions().then((s) => { setSessions(s); setError(null); }, setError), []);
  useEffect(() => void load(), [load]);
  return (
    <Section title={t('settings.sessions')} id="sessions">
      {error ? <Failed message={describeError(t, error)} onRetry={() => void load()} /> : !sessions ? <Loading /> : (
        <ul className={styles.sessions}>
          {sessions.map((s) => (
            <li key={s.id} className={styles.session}>
              <div className={styles.sessionText}>
                <strong>{s.current ? t('settings.thisDevice') : s.user_agent || t('settings.unknownDevice')}</strong>
                {s.current && s.user_agent && <div className={styles.muted}>{s.user_agent}</div>}
                <div className={styles.muted}>
                  {t('settings.sessionMeta', { created: formatDateTime(s.created_at), used: formatDateTime(s.last_used_at), ip: s.ip })}
                </div>
              </div>
              {!s.current && (
                <Button onClick={() => void authApi.revokeSession(s.id).then(load, setError)}>{t('settings.revoke')}</Button>
              )}
            </li>
          ))}
        </ul>
      )}
    </Section>
  );
}

function PasswordSection() {
  const { t } = useI18n();
  const [values, setValues] = useState({ current: '', next: '' });
  const [done, setDone] = useState(false);
  const { busy, errors, submit } = useFormSubmit(['new_password']);
  const onSubmit = submit(async () => {
    setDone(false);
    await authApi.changePassword(values.current, values.next);
    setValues({ current: '', next: '' });
    setDone(true);
  });
  return (
    <Section title={t('settings.password')} id="password">
      <form onSubmit={onSubmit}>
        <FormMessage>{errors.formError}</FormMessage>
        <input type="text" autoComplete="username" hidden readOnly value="" />
        <TextField label={t('settings.currentPassword')} type="password" autoComplete="current-password" required
          value={values.current} onChange={(e) => setValues({ ...values, current: e.target.value })} />
        <TextField label={t('settings.newPassword')} type="password" autoComplete="new-password" required
          hint={t('auth.register.passwordHint')} error={errors.fieldError('new_password')}
          value={values.next} onChange={(e) => setValues({ ...values, next: e.target.value })} />
        <FormMessage tone="success">{done ? t('settings.passwordChanged') : null}</FormMessage>
        <Button type="submit" variant="primary" disabled={busy || !values.current || !values.next}>{t('settings.changePassword')}</Button>
      </form>
    </Section>
  );
}

function DeleteSection() {
  const { t } = useI18n();
  const { forget } = useAuth();
  const [open, setOpen] = useState(false);
  const [password, setPassword] = useState('');
  const { busy, errors, submit } = useFormSubmit([], { staysBusy: true });
  const onSubmit = submit(async () => {
    await authApi.deleteAccount(password);
    forget();
  });
  return (
    <Section title={t('settings.danger')} id="delete">
      <p>{t('settings.deleteExplain')}</p>
      <Button variant="danger" onClick={() => setOpen(true)}>{t('settings.deleteButton')}</Button>
      <Dialog title={t('settings.deleteConfirmTitle')} open={open} onClose={() => setOpen(false)}>
        <form onSubmit={onSubmit}>
          <p>{t('settings.deleteExplain')}</p>
          <FormMessage>{errors.formError}</FormMessage>
          <TextField label={t('settings.deleteConfirmPassword')} type="password" autoComplete="current-password" required
            value={password} onChange={(e) => setPassword(e.target.value)} />
          <div className={styles.actions}>
            <Button onClick={() => setOpen(false)}>{t('dialog.cancel')}</Button>
            <Button type="submit" variant="danger" disabled={busy || !password}>{t('settings.deleteConfirm')}</Button>
          </div>
        </form>
      </Dialog>
    </Section>
  );
}
