import { useState } from 'react';
import { FormMessage, TextField } from '../../../components/field';
import { useAuth } from '../../../lib/auth/auth-context';
import { useI18n } from '../../../lib/i18n/i18n';
import { AuthLayout, AuthSubmit } from './auth-layout';
import { useFormSubmit } from '../../../hooks/use-form-submit';

export function LoginPage() {
  const { t } = useI18n();
  const { login, state } = useAuth();
  const [values, setValues] = useState({ login: '', password: '' });
  const { busy, errors, submit } = useFormSubmit([], { staysBusy: true });
  const ended = state.status === 'signed-out' && state.reason === 'session-ended';

  return (
    <AuthLayout title={t('auth.login.title')}
      other={{ question: t('auth.login.noAccount'), link: t('auth.login.toRegister'), to: '/register' }}>
      {ended && <FormMessage>{t('auth.sessionEnded')}</FormMessage>}
      <form onSubmit={submit(() => login(values.login.trim(), values.password))} noValidate>
        <FormMessage>{errors.formError}</FormMessage>
        <TextField label={t('auth.login.login')} name="login" autoComplete="username" required autoFocus
          value={values.login} onChange={(e) => setValues({ ...values, login: e.target.value })} />
        <TextField label={t('auth.login.password')} name="password" type="password" autoComplete="current-password" required
          value={values.password} onChange={(e) => setValues({ ...values, password: e.target.value })} />
        <AuthSubmit busy={busy} disabled={!values.login || !values.password}>{t('auth.login.submit')}</AuthSubmit>
      </form>
    </AuthLayout>
  );
}
