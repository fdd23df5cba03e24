import { useState, type FormEvent } from 'react';
import { useFormError } from './use-form-error';

// The submit of a form that calls the API: the form is busy while the call runs, and what the
// call failed with is shown beside its field (one of `fields`) or over the whole form. With
// staysBusy, a form that is gone once the call succeeds (signing in, deleting the account) stays
// busy rather than offer its button again.
export function useFormSubmit(fields: string[], { staysBusy = false } = {}) {
  const errors = useFormError();
  const [busy, setBusy] = useState(false);
  const submit = (action: () => Promise<unknown>) => async (e: FormEvent) => {
    e.preventDefault();
    errors.clear();
    setBusy(true);
    try {
      await action();
      if (!staysBusy) setBusy(false);
    } catch (err) {
      errors.set(err, fields);
      setBusy(false);
    }
  };
  return { busy, errors, submit };
}
