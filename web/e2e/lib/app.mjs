// What a person does in the app, as steps the browser tests share.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { repoRoot } from './server.mjs';

export const PASSWORD = 'correct horse battery';
export const screenshotDir = path.join(repoRoot, 'build/screenshots');
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export const unique = (prefix) => `${prefix}${Date.now().toString(36).slice(-5)}${Math.floor(Math.random() * 1296).toString(36)}`;

export async function newPage(browser, { locale = 'en-US', width = 1280, height = 800, colorScheme = 'light' } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, locale, colorScheme });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/.test(m.text())) errors.push(m.text());
  });
  page.errors = errors;
  return page;
}

export async function register(page, baseUrl, username, displayName) {
  await page.goto(baseUrl + '/register');
  await page.getByLabel('Username', { exact: true }).fill(username);
  if (displayName) await page.getByLabel('Display name (optional)').fill(displayName);
  await page.getByLabel('Email').fill(`${username}@example.org`);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('heading', { name: 'Conversations' }).waitFor();
}

// The sign-in form's words in the languages the tests sign in with.
const signInWords = {
  en: { login: 'Username or email', password: 'Password', submit: 'Sign in' },
  fr: { login: 'Nom d’utilisateur ou e-mail', password: 'Mot de passe', submit: 'Se connecter' },
};

// Fills in and sends the sign-in form the page shows; what should follow (the app, or an error)
// is the caller's to wait for.
export async function signIn(page, login, password, lang = 'en') {
  const words = signInWords[lang];
  await page.getByLabel(words.login).fill(login);
  await page.getByLabel(words.password).fill(password);
  await page.getByRole('button', { name: words.submit }).click();
}

export async function goTo(page, navName) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: navName }).click();
}

// Contacts: one sends a request, the other accepts it.
export async function becomeContacts(a, b, bUsername) {
  await goTo(a, 'Contacts');
  await a.getByLabel('Search people').fill(bUsername);
  await a.getByRole('button', { name: 'Send contact request' }).click();
  await a.getByRole('heading', { name: 'Requests you sent' }).waitFor();
  await a.getByText(`@${bUsername}`).last().waitFor();
  await goTo(b, 'Settings');
  await goTo(b, 'Contacts');
  await b.getByRole('button', { name: 'Accept' }).click();
  await b.getByRole('button', { name: 'Message' }).waitFor();
}

export const timeline = (page) => page.getByRole('list', { name: 'Messages' });
export const messageItem = (page, text) => timeline(page).getByRole('listitem').filter({ hasText: text });

export async function send(page, text) {
  const box = page.getByLabel('Message', { exact: true });
  await box.fill(text);
  await box.press('Enter');
}

// Runs axe-core in the page; fails on serious or critical violations.
export async function checkA11y(page, view) {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
  });
  assert.deepEqual(violations, [], `axe on ${view}`);
}

// Saves the view at desktop and phone width, light and dark; checks that the phone width needs no
// horizontal scrolling.
export async function shoot(page, name) {
  mkdirSync(screenshotDir, { recursive: true });
  const original = page.viewportSize();
  const locale = await page.evaluate(() => document.documentElement.lang);
  for (const [label, size] of [['desktop', { width: 1280, height: 800 }], ['phone', { width: 360, height: 740 }]]) {
    await page.setViewportSize(size);
    for (const scheme of ['light', 'dark']) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.waitForTimeout(50);
      if (label === 'phone') {
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(overflow <= 0, `${name} scrolls sideways by ${overflow}px at 360px`);
      }
      await page.screenshot({ path: path.join(screenshotDir, `${name}-${locale}-${label}-${scheme}.png`) });
    }
  }
  await page.emulateMedia({ colorScheme: 'light' });
  await page.setViewportSize(original);
}
