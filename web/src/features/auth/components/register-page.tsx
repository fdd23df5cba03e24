import { useState, type FormEvent } from 'react';
import { Link } from 'react-router-dom';
import { Button } from '../../../components/button';
import { FormMessage, TextField } from '../../../components/field';
import { useAuth } from '../../../lib/auth/auth-context';
import { useI18n } from '../../../lib/i18n/i18n';
import { AuthLayout } from './auth-layout';
import styles from './auth.module.css';
import { useFormError } from '../../../hooks/use-form-error';

const FIELDS = ['username', 'display_name', 'email', 'password'];

export function RegisterPage() {
  const { t } = useI18n();
  const { register } = useAuth();
  const [values, setValues] = useState({ username: '', display_name: '', email: '', password: '' });
  const [busy, setBusy] = useState(false);
  const errors = useFormError();
  const set = (name: keyof typeof values) => (e: { target: { value: string } }) => setValues({ ...values, [name]: e.target.value });

  async function submit(e: FormEvent) {
    e.preventDefault();
    errors.clear();
    setBusy(true);
    try {
      await register({
        username: values.username.trim(),
        email: values.email.trim(),
        password: values.password,
        ...(values.display_name.trim() ? { display_name: values.display_name.trim() } : {}),
      });
    } catch (err) {
      errors.set(err, FIELDS);
      setBusy(false);
    }
  }

  return (
    <AuthLayout title={t('auth.register.title')}>
      <form onSubmit={submit} noValidate>
        <FormMessage>{errors.formError}</FormMessage>
        <TextField label={t('auth.register.username')} name="username" autoComplete="username" required autoFocus
          hint={t('auth.register.usernameHint')} error={errors.fieldError('username')}
          value={values.username} onChange={set('username')} />
        <TextField label={t('auth.register.displayName')} name="display_name" autoComplete="name"
          error={errors.fieldError('display_name')} value={values.display_name} onChange={set('display_name')} />
        <TextField label={t('auth.register.email')} name="email" type="email" autoComplete="email" required
          error={errors.fieldError('email')} value={values.email} onChange={set('email')} />
        <TextField label={t('auth.register.password')} name="password" type="password" autoComplete="new-password" required
          hint={t('auth.register.passwordHint')} error={errors.fieldError('password')}
          value={values.password} onChange={set('password')} />
        <Button type="submit" variant="primary" className={styles.submit}
          disabled={busy || !values.username || !values.email || !values.password}>
          {busy ? t('auth.busy') : t('auth.register.submit')}
        </Button>
      </form>
      <p className={styles.alt}>
        {t('auth.register.haveAccount')} <Link to="/login">{t('auth.register.toLogin')}</Link>
      </p>
    </AuthLayout>
  );
}
