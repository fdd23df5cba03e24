import { useState } from 'react';
import { describeError, errorField } from '../lib/errors';
import { useI18n } from '../lib/i18n/i18n';

// An API error split into the field it belongs to (shown beside that field) or the whole form.
export function useFormError() {
  const { t } = useI18n();
  const [error, setError] = useState<{ field?: string; text: string } | null>(null);
  return {
    fieldError: (name: string) => (error && error.field === name ? error.text : null),
    formError: error && !error.field ? error.text : null,
    clear: () => setError(null),
    setText: (text: string) => setError({ text }),
    set: (e: unknown, fields: string[]) => {
      const field = errorField(e);
      setError({ field: field && fields.includes(field) ? field : undefined, text: describeError(t, e) });
    },
  };
}
