// The app's environment, read and checked in one place. The app is served by Parley itself (or
// its gateway) on one origin, so the API lives under the same origin unless a build sets
// VITE_PARLEY_API_BASE (for example a dev server talking to another host through its proxy).
const base = (import.meta.env.VITE_PARLEY_API_BASE ?? '').replace(/\/+$/, '');
if (base && !/^https?:\/\/|^\//.test(base)) {
  throw new Error(`VITE_PARLEY_API_BASE must be an absolute URL or path, not "${base}"`);
}

export const env = {
  apiBase: base,
  // How long a long poll waits for events before the server answers empty (API max 60 s).
  syncTimeoutMs: 25_000,
  // Backoff bounds while the server is away.
  reconnectMinMs: 500,
  reconnectMaxMs: 15_000,
} as const;
