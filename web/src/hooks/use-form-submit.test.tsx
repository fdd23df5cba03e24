import { act, renderHook } from '@testing-library/react';
import type { FormEvent, ReactNode } from 'react';
import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../lib/api-client';
import { I18nProvider } from '../lib/i18n/i18n';
import { useFormSubmit } from './use-form-submit';

const wrapper = ({ children }: { children: ReactNode }) => <I18nProvider locale="en">{children}</I18nProvider>;
const event = () => ({ preventDefault: vi.fn() }) as unknown as FormEvent;

describe('useFormSubmit', () => {
  it('is busy while the call runs, and not after it succeeded', async () => {
    const { result } = renderHook(() => useFormSubmit([]), { wrapper });
    let finish = () => {};
    const e = event();
    let done: Promise<void> | undefined;
    act(() => {
      done = result.current.submit(() => new Promise<void>((r) => (finish = r)))(e);
    });
    expect(e.preventDefault).toHaveBeenCalled();
    expect(result.current.busy).toBe(true);
    await act(async () => {
      finish();
      await done;
    });
    expect(result.current.busy).toBe(false);
    expect(result.current.errors.formError).toBeNull();
  });

  it('shows a failure beside the field it names when that field is the form\'s, else over the form', async () => {
    const { result } = renderHook(() => useFormSubmit(['username']), { wrapper });
    await act(() => result.current.submit(() => Promise.reject(new ApiError(409, 'username_taken', 'taken')))(event()));
    expect(result.current.errors.fieldError('username')).toBe('That username is taken.');
    expect(result.current.errors.formError).toBeNull();
    expect(result.current.busy).toBe(false);
    await act(() => result.current.submit(() => Promise.reject(new ApiError(409, 'email_taken', 'taken')))(event()));
    expect(result.current.errors.fieldError('username')).toBeNull();
    expect(result.current.errors.formError).toBe('An account with that email already exists.');
  });

  it('with staysBusy, stays busy after success (the form is on its way out)', async () => {
    const { result } = renderHook(() => useFormSubmit([], { staysBusy: true }), { wrapper });
    await act(() => result.current.submit(async () => {})(event()));
    expect(result.current.busy).toBe(true);
    await act(() => result.current.submit(() => Promise.reject(new ApiError(401, 'invalid_credentials', 'no')))(event()));
    expect(result.current.busy).toBe(false);
    expect(result.current.errors.formError).toBe('Wrong username, email or password.');
  });
});
