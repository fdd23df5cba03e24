// Debian's Chromium driven by playwright-core (never a downloaded browser), with the flags this
// sandbox needs. playwright's launch() gives each browser a fresh, empty profile directory of its
// own (it refuses --user-data-dir) and removes it on close.
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.PARLEY_CHROMIUM || '/usr/bin/chromium';

export function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync',
    ],
  });
}
