// Who is signed in. At start the refresh cookie (HttpOnly: the page never sees it) is traded for
// an access token, so a reload keeps the user signed in; logout revokes the session on the server
// and forgets everything this browser kept for the user.
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { api, ApiError } from '../api-client';
import { usersApi } from '../api/endpoints';
import type { Profile } from '../api/types';
import { forgetUserData } from '../local-data';

export type AuthState =
  | { status: 'checking' }
  | { status: 'offline' } // the server could not be reached to check the session
  | { status: 'signed-out'; reason?: 'session-ended' }
  | { status: 'signed-in'; user: Profile };

export interface AuthApi {
  state: AuthState;
  login: (login: string, password: string) => Promise<void>;
  register: (fields: { username: string; email: string; password: string; display_name?: string }) => Promise<void>;
  logout: () => Promise<void>;
  updateUser: (user: Profile) => void;
  retry: () => void;
  // The account is gone (deleted): forget it here without calling the server.
  forget: () => void;
}

export const AuthContext = createContext<AuthApi | null>(null); // exported for component tests

export function AuthProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<AuthState>({ status: 'checking' });
  const [attempt, setAttempt] = useState(0);
  // Sign-out: the user's local data is removed once the signed-in screens (and their send queue,
  // which writes unsent messages to storage) are gone.
  const forgetAfterUnmount = useRef<string | null>(null);
  useEffect(() => {
    if (state.status === 'signed-out' && forgetAfterUnmount.current) {
      forgetUserData(forgetAfterUnmount.current);
      forgetAfterUnmount.current = null;
    }
  }, [state]);

  useEffect(() => {
    let cancelled = false;
    (async () => {
      try {
        if (!(await api.refresh())) {
          if (!cancelled) setState({ status: 'signed-out' });
          return;
        }
        const user = await usersApi.me();
        if (!cancelled) setState({ status: 'signed-in', user });
      } catch (e) {
        if (cancelled) return;
        setState(e instanceof ApiError && e.status === 401 ? { status: 'signed-out' } : { status: 'offline' });
      }
    })();
    return () => {
      cancelled = true;
    };
  }, [attempt]);

  useEffect(
    () => api.onSignedOut(() => setState((s) => (s.status === 'signed-in' ? { status: 'signed-out', reason: 'session-ended' } : s))),
    [],
  );

  const signIn = useCallback(async (path: '/api/v1/auth/login' | '/api/v1/auth/register', body: unknown) => {
    const { user } = await api.authenticate(path, body);
    // Signed in with what auth answered; the full profile (bio, DM policy) follows from users. In
    // the distributed stack users learns of a new account a moment after auth (an event), so a
    // profile not there yet is asked for again shortly.
    setState({ status: 'signed-in', user: { id: user.id, username: user.username, display_name: user.display_name, bio: '', created_at: user.created_at } });
    void (async () => {
      for (let attempt = 0; attempt < 20; attempt++) {
        try {
          const profile = await usersApi.me();
          setState((s) => (s.status === 'signed-in' && s.user.id === profile.id ? { status: 'signed-in', user: profile } : s));
          return;
        } catch (e) {
          if (!(e instanceof ApiError) || e.status !== 404) return;
          await new Promise((r) => setTimeout(r, 250));
        }
      }
    })();
  }, []);

  const value = useMemo<AuthApi>(() => ({
    state,
    login: (login, password) => signIn('/api/v1/auth/login', { login, password }),
    register: (fields) => signIn('/api/v1/auth/register', fields),
    logout: async () => {
      const userId = state.status === 'signed-in' ? state.user.id : null;
      try {
        await api.logout();
      } catch {
        // the session is ended here either way; the server's copy expires on its own
      }
      forgetAfterUnmount.current = userId;
      setState({ status: 'signed-out' });
    },
    forget: () => {
      if (state.status === 'signed-in') forgetAfterUnmount.current = state.user.id;
      api.setAccessToken(null);
      setState({ status: 'signed-out' });
    },
    updateUser: (user) => setState({ status: 'signed-in', user }),
    retry: () => {
      setState({ status: 'checking' });
      setAttempt((n) => n + 1);
    },
  }), [state, signIn]);

  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthApi {
  const value = useContext(AuthContext);
  if (!value) throw new Error('useAuth outside AuthProvider');
  return value;
}

// The signed-in user; only for screens behind the sign-in.
export function useMe(): Profile {
  const { state } = useAuth();
  if (state.status !== 'signed-in') throw new Error('useMe while signed out');
  return state.user;
}
