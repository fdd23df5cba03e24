import { useState } from 'react';
import { FormMessage, TextField } from '../../../components/field';
import { useAuth } from '../../../lib/auth/auth-context';
import { useI18n } from '../../../lib/i18n/i18n';
import { AuthLayout, AuthSubmit } from './auth-layout';
import { useFormSubmit } from '../../../hooks/use-form-submit';

const FIELDS = ['username', 'display_name', 'email', 'password'];

export function RegisterPage() {
  const { t } = useI18n();
  const { register } = useAuth();
  const [values, setValues] = useState({ username: '', display_name: '', email: '', password: '' });
  const { busy, errors, submit } = useFormSubmit(FIELDS, { staysBusy: true });
  const set = (name: keyof typeof values) => (e: { target: { value: string } }) => setValues({ ...values, [name]: e.target.value });
  const onSubmit = submit(() => register({
    username: values.username.trim(),
    email: values.email.trim(),
    password: values.password,
    ...(values.display_name.trim() ? { display_name: values.display_name.trim() } : {}),
  }));

  return (
    <AuthLayout title={t('auth.register.title')}
      other={{ question: t('auth.register.haveAccount'), link: t('auth.register.toLogin'), to: '/login' }}>
      <form onSubmit={onSubmit} noValidate>
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
        <AuthSubmit busy={busy} disabled={!values.username || !values.email || !values.password}>
          {t('auth.register.submit')}
        </AuthSubmit>
      </form>
    </AuthLayout>
  );
}
