import { useState, type FormEvent } from 'react';
import { Link } from 'react-router-dom';
import { Button } from '../../../components/button';
import { FormMessage, TextField } from '../../../components/field';
import { useAuth } from '../../../lib/auth/auth-context';
import { useI18n } from '../../../lib/i18n/i18n';
import { AuthLayout } from './auth-layout';
import styles from './auth.module.css';
import { useFormError } from '../../../hooks/use-form-error';

export function LoginPage() {
  const { t } = useI18n();
  const { login, state } = useAuth();
  const [values, setValues] = useState({ login: '', password: '' });
  const [busy, setBusy] = useState(false);
  const errors = useFormError();
  const ended = state.status === 'signed-out' && state.reason === 'session-ended';

  async function submit(e: FormEvent) {
    e.preventDefault();
    errors.clear();
    setBusy(true);
    try {
      await login(values.login.trim(), values.password);
    } catch (err) {
      errors.set(err, []);
      setBusy(false);
    }
  }

  return (
    <AuthLayout title={t('auth.login.title')}>
      {ended && <FormMessage>{t('auth.sessionEnded')}</FormMessage>}
      <form onSubmit={submit} noValidate>
        <FormMessage>{errors.formError}</FormMessage>
        <TextField label={t('auth.login.login')} name="login" autoComplete="username" required autoFocus
          value={values.login} onChange={(e) => setValues({ ...values, login: e.target.value })} />
        <TextField label={t('auth.login.password')} name="password" type="password" autoComplete="current-password" required
          value={values.password} onChange={(e) => setValues({ ...values, password: e.target.value })} />
        <Button type="submit" variant="primary" className={styles.submit} disabled={busy || !values.login || !values.password}>
          {busy ? t('auth.busy') : t('auth.login.submit')}
        </Button>
      </form>
      <p className={styles.alt}>
        {t('auth.login.noAccount')} <Link to="/register">{t('auth.login.toRegister')}</Link>
      </p>
    </AuthLayout>
  );
}
