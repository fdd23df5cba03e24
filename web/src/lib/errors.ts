// Turns any failure into text for the user, in their language: the API's error code (and the
// field it names) when the catalog has words for it, else the server's own message.
import { ApiError } from './api-client';
import type { MessageKey } from './i18n/en';
import { en } from './i18n/en';
import type { Translate } from './i18n/i18n';

const has = (key: string): key is MessageKey => key in en;

export function describeError(t: Translate, error: unknown): string {
  if (!(error instanceof ApiError)) return t('app.error');
  if (error.status === 0) return t('error.network');
  if (error.code === 'rate_limited') return t('error.rate_limited', { seconds: Math.ceil((error.retryAfterMs ?? 1000) / 1000) });
  if (error.code === 'invalid_argument' && error.field && has(`error.field.${error.field}`))
    return t(`error.field.${error.field}` as MessageKey);
  if (has(`error.${error.code}`)) return t(`error.${error.code}` as MessageKey);
  if (error.status >= 500) return t('error.unavailable');
  return error.message;
}

// The form field an error belongs to, so the form can show it beside that field.
export function errorField(error: unknown): string | undefined {
  if (!(error instanceof ApiError)) return undefined;
  if (error.code === 'username_taken') return 'username';
  if (error.code === 'email_taken') return 'email';
  return error.field;
}
