// End-to-end: people using Parley in Debian's Chromium against the real server (the all-in-one,
// or the gateway of the distributed stack when PARLEY_BASE_URL is set).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launch } from './lib/browser.mjs';
import { apiCall, external, startServer } from './lib/server.mjs';
import {
  PASSWORD, becomeContacts, checkA11y, goTo, messageItem, newPage, register, send, shoot, signIn, timeline, unique,
} from './lib/app.mjs';

let server;
let browser;
let alice;
let bob;
const names = { alice: unique('alice'), bob: unique('bob'), carol: unique('carol') };

before(async () => {
  server = await startServer();
  browser = await launch();
  alice = await newPage(browser);
  bob = await newPage(browser);
});
after(async () => {
  await browser?.close();
  await server?.stop();
  server?.cleanup();
});

async function apiLogin(username) {
  const res = await apiCall(server.baseUrl, 'POST', '/api/v1/auth/login', { body: { login: username, password: PASSWORD } });
  assert.equal(res.status, 200);
  return res.body.access_token;
}

test('two people register, become contacts and chat both ways live', async () => {
  await register(alice, server.baseUrl, names.alice, 'Alice');
  await register(bob, server.baseUrl, names.bob, 'Bob');
  await becomeContacts(alice, bob, names.bob);

  await goTo(alice, 'Conversations');
  await goTo(alice, 'Contacts'); // a fresh visit reads the lists again
  await alice.getByRole('button', { name: 'Message' }).click();
  await alice.getByRole('heading', { name: 'Bob', level: 2 }).waitFor();
  await send(alice, 'Hello Bob');
  await messageItem(alice, 'Hello Bob').waitFor();

  // Bob sees the conversation arrive in his list and the message, without reloading.
  await goTo(bob, 'Conversations');
  const row = bob.getByRole('list', { name: 'Your conversations' }).getByRole('link', { name: /Alice/ });
  await row.waitFor({ timeout: 2000 });
  await row.click();
  await messageItem(bob, 'Hello Bob').waitFor({ timeout: 2000 });

  const sentAt = Date.now();
  await send(bob, 'Hi Alice, مرحبا');
  await messageItem(alice, 'Hi Alice').waitFor({ timeout: 2000 });
  assert.ok(Date.now() - sentAt < 2000);
  // Right-to-left text is marked for the browser to lay out by itself.
  assert.equal(await messageItem(alice, 'Hi Alice').locator('p').getAttribute('dir'), 'auto');
  assert.deepEqual([...alice.errors, ...bob.errors], []);
});

test('a message shows within one frame of pressing Enter, then as sent', async () => {
  const result = alice.evaluate(() => new Promise((resolve) => {
    const box = document.getElementById('composer');
    box.addEventListener('keydown', () => {
      requestAnimationFrame(() => requestAnimationFrame(() => resolve(document.body.innerText.includes('One frame please'))));
    }, { once: true });
  }));
  await send(alice, 'One frame please');
  assert.equal(await result, true);
  await messageItem(bob, 'One frame please').waitFor({ timeout: 2000 });
  // Sent, not pending: the server's answer settled it.
  await messageItem(alice, 'One frame please').locator('[data-state="sent"]').waitFor();
});

test('edits and deletions reach the other side live; tombstones and the edited marker show', async () => {
  const mine = messageItem(alice, 'Hello Bob');
  await mine.hover();
  await mine.getByRole('button', { name: 'Edit message' }).click();
  const editor = alice.getByLabel('Edit your message');
  await editor.fill('Hello Bob, edited');
  await editor.press('Enter');
  await messageItem(bob, 'Hello Bob, edited').getByText('edited', { exact: false }).first().waitFor({ timeout: 2000 });
  await messageItem(bob, 'Hello Bob, edited').getByText('· edited').waitFor({ timeout: 2000 });

  // Deleting by keyboard: Tab reaches the message's actions.
  const target = messageItem(alice, 'One frame please');
  await target.getByRole('button', { name: 'Delete message' }).focus();
  await alice.keyboard.press('Enter');
  await alice.getByRole('dialog').getByRole('button', { name: 'Delete message' }).click();
  await timeline(bob).getByText('Message deleted').waitFor({ timeout: 2000 });
  assert.equal(await messageItem(bob, 'One frame please').count(), 0);
});

test('a group is made and a third person joins by invite code', async () => {
  const carol = await newPage(browser);
  await register(carol, server.baseUrl, names.carol, 'Carol');

  await goTo(alice, 'Conversations');
  await alice.getByRole('button', { name: 'New conversation' }).click();
  const dialog = alice.getByRole('dialog');
  await dialog.getByRole('button', { name: 'Group' }).click();
  await dialog.getByLabel('Group name').fill('Launch team');
  await dialog.getByLabel('Select Bob').check();
  await dialog.getByRole('button', { name: 'Create group' }).click();
  await alice.getByRole('heading', { name: 'Launch team', level: 2 }).waitFor();

  await alice.getByRole('button', { name: 'Conversation details' }).click();
  await alice.getByRole('button', { name: 'Create invite code' }).click();
  const code = (await alice.getByTestId('invite-code').textContent()).trim();
  await alice.getByRole('dialog').getByRole('button', { name: 'Close' }).first().click();
  await send(alice, 'Welcome to the team');

  await carol.getByRole('button', { name: 'New conversation' }).click();
  await carol.getByRole('dialog').getByRole('button', { name: 'Join by code' }).click();
  await carol.getByLabel('Invite code').fill(code);
  await carol.getByRole('button', { name: 'Join', exact: true }).click();
  await carol.getByRole('heading', { name: 'Launch team', level: 2 }).waitFor();
  await messageItem(carol, 'Welcome to the team').waitFor({ timeout: 2000 });
  await send(carol, 'Thanks!');
  await messageItem(alice, 'Thanks!').waitFor({ timeout: 2000 });
  // Bob was added at creation: the group and the new messages reached him live.
  await bob.getByRole('list', { name: 'Your conversations' }).getByRole('link', { name: /Launch team/ }).waitFor({ timeout: 2000 });
  await carol.context().close();
});

test('a server restart mid-conversation: reconnecting shows, then nothing is lost or doubled', { skip: external ? 'needs its own server process' : false }, async () => {
  await goTo(bob, 'Conversations');
  await bob.getByRole('list', { name: 'Your conversations' }).getByRole('link', { name: /Alice/ }).click();
  await goTo(alice, 'Conversations');
  await alice.getByRole('list', { name: 'Your conversations' }).getByRole('link', { name: /Bob/ }).click();
  await alice.getByLabel('Message', { exact: true }).waitFor();

  await server.stop();
  await alice.getByRole('status').filter({ hasText: 'Reconnecting' }).waitFor({ timeout: 10_000 });
  await bob.getByRole('status').filter({ hasText: 'Reconnecting' }).waitFor({ timeout: 10_000 });
  await send(alice, 'Sent while the server was away');
  await messageItem(alice, 'Sent while the server was away').getByText('Not sent').waitFor({ timeout: 10_000 });
  await alice.getByLabel('Message', { exact: true }).fill('a draft I am still typing');

  await server.start();
  await alice.getByRole('status').filter({ hasText: 'Reconnecting' }).waitFor({ state: 'detached', timeout: 30_000 });
  await messageItem(bob, 'Sent while the server was away').waitFor({ timeout: 30_000 });
  await messageItem(alice, 'Sent while the server was away').locator('[data-state="sent"]').waitFor({ timeout: 5000 });
  await send(bob, 'Back again');
  await messageItem(alice, 'Back again').waitFor({ timeout: 2000 });
  assert.equal(await alice.getByLabel('Message', { exact: true }).inputValue(), 'a draft I am still typing');

  // Stored once, shown once.
  const token = await apiLogin(names.bob);
  const list = await apiCall(server.baseUrl, 'GET', '/api/v1/conversations', { token });
  const direct = list.body.items.find((c) => c.kind === 'direct');
  const page = await apiCall(server.baseUrl, 'GET', `/api/v1/conversations/${direct.id}/messages?limit=200`, { token });
  const bodies = page.body.items.map((m) => m.body);
  assert.equal(bodies.filter((b) => b === 'Sent while the server was away').length, 1);
  assert.equal(await messageItem(bob, 'Sent while the server was away').count(), 1);
  assert.equal(await messageItem(alice, 'Sent while the server was away').count(), 1);
});

test('a reload keeps the user signed in, with the draft; the refresh token is not readable by scripts', async () => {
  await alice.getByLabel('Message', { exact: true }).fill('draft across reloads');
  const refreshed = alice.waitForResponse((r) => r.url().endsWith('/api/v1/auth/refresh'));
  await alice.reload();
  const answer = await refreshed;
  assert.equal(answer.status(), 200);
  const accessToken = (await answer.json()).access_token;
  assert.ok(accessToken, 'the reload got a new access token from the cookie');
  assert.equal((await answer.json()).refresh_token, undefined, 'the refresh token never reaches the page');
  await alice.getByRole('heading', { name: 'Conversations' }).waitFor();
  assert.equal(await alice.getByLabel('Message', { exact: true }).inputValue(), 'draft across reloads');
  assert.equal(await alice.evaluate(() => document.cookie), '');
  const cookies = await alice.context().cookies();
  const refresh = cookies.find((c) => c.name === 'parley_refresh');
  assert.ok(refresh, 'the refresh cookie exists');
  assert.equal(refresh.httpOnly, true);
  assert.equal(refresh.sameSite, 'Strict');
  assert.equal(refresh.path, '/api/v1/auth');
  const stored = await alice.evaluate(() => JSON.stringify(localStorage) + JSON.stringify(sessionStorage) + location.href);
  assert.ok(!stored.includes(accessToken), 'the access token lives in memory only');
  assert.ok(!stored.includes(refresh.value), 'no refresh token in storage');
});

test('every main view passes axe and is screenshotted in both languages, themes and widths', { skip: external ? 'the all-in-one run takes them' : false }, async () => {
  await goTo(alice, 'Conversations');
  await alice.getByRole('list', { name: 'Your conversations' }).getByRole('link', { name: /Launch team/ }).click();
  await messageItem(alice, 'Thanks!').waitFor();
  await checkA11y(alice, 'conversation');
  await shoot(alice, 'conversation');
  await alice.getByRole('button', { name: 'Conversation details' }).click();
  await alice.getByRole('dialog').getByRole('heading', { name: 'Members (3)' }).waitFor();
  await checkA11y(alice, 'group details');
  await shoot(alice, 'group-details');
  await alice.keyboard.press('Escape');
  await goTo(alice, 'Contacts');
  await alice.getByRole('heading', { name: 'Your contacts' }).waitFor();
  await checkA11y(alice, 'contacts');
  await shoot(alice, 'contacts');
  await goTo(alice, 'Settings');
  await alice.getByText('This device').waitFor();
  await checkA11y(alice, 'settings');
  await shoot(alice, 'settings');
  await goTo(alice, 'Conversations');
  await shoot(alice, 'conversations');
  await alice.getByRole('button', { name: 'New conversation' }).click();
  await alice.getByRole('dialog').getByText('Your contacts').waitFor();
  await checkA11y(alice, 'new conversation');
  await shoot(alice, 'new-conversation');
  await alice.keyboard.press('Escape');

  // French, from the browser's language; the same views.
  const french = await newPage(browser, { locale: 'fr-FR' });
  await french.goto(server.baseUrl + '/login');
  await french.getByRole('heading', { name: 'Connexion à Parley' }).waitFor();
  await checkA11y(french, 'login');
  await shoot(french, 'login');
  await signIn(french, names.bob, PASSWORD, 'fr');
  await french.getByRole('heading', { name: 'Conversations' }).waitFor();
  await checkA11y(french, 'conversations (fr)');
  await shoot(french, 'conversations');
  await french.getByRole('list', { name: 'Vos conversations' }).getByRole('link', { name: /Alice/ }).click();
  await messageItem(french, 'Back again').waitFor();
  await shoot(french, 'conversation');
  await french.getByRole('navigation', { name: 'Principal' }).getByRole('link', { name: 'Contacts' }).click();
  await french.getByRole('heading', { name: 'Vos contacts' }).waitFor();
  await shoot(french, 'contacts');
  await french.getByRole('navigation', { name: 'Principal' }).getByRole('link', { name: 'Réglages' }).click();
  await french.getByText('Cet appareil').waitFor();
  await shoot(french, 'settings');
  await french.getByRole('navigation', { name: 'Principal' }).getByRole('link', { name: 'Conversations' }).click();
  await french.context().close();
  const english = await newPage(browser);
  await english.goto(server.baseUrl + '/register');
  await english.getByRole('heading', { name: 'Create your Parley account' }).waitFor();
  await checkA11y(english, 'register');
  await shoot(english, 'register');
  await english.context().close();
  assert.deepEqual(alice.errors, []);
});

test('logging out ends the session on the server and in the browser', async () => {
  await alice.getByRole('button', { name: 'Sign out' }).click();
  await alice.getByRole('heading', { name: 'Sign in to Parley' }).waitFor();
  const cookies = await alice.context().cookies();
  assert.equal(cookies.find((c) => c.name === 'parley_refresh'), undefined);
  const stored = await alice.evaluate(() => Object.keys(localStorage).filter((k) => /^parley\.(draft|pending)\./.test(k)));
  assert.deepEqual(stored, []);
  await alice.reload();
  await alice.getByRole('heading', { name: 'Sign in to Parley' }).waitFor();
});
