// End-to-end: the contacts page and the settings page, each action as a person does it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launch } from './lib/browser.mjs';
import { PASSWORD, goTo, newPage, register, screenshotDir, signIn, unique } from './lib/app.mjs';
import { startServer } from './lib/server.mjs';

let server;
let browser;
let carol;
let dave;
const names = { carol: unique('carol'), dave: unique('dave') };

before(async () => {
  server = await startServer();
  browser = await launch();
  carol = await newPage(browser);
  dave = await newPage(browser);
  await register(carol, server.baseUrl, names.carol, 'Carol');
  await register(dave, server.baseUrl, names.dave, 'Dave');
});
after(async () => {
  await browser?.close();
  await server?.stop();
  server?.cleanup();
});

const section = (page, title) => page.locator('section').filter({ has: page.getByRole('heading', { name: title, exact: true }) });
async function requestContact(from, username) {
  await goTo(from, 'Conversations');
  await goTo(from, 'Contacts');
  await from.getByLabel('Search people').fill(username);
  await from.getByRole('button', { name: 'Send contact request' }).click();
  await section(from, 'Requests you sent').getByText(`@${username}`).waitFor();
}
async function freshContacts(page) {
  await goTo(page, 'Conversations');
  await goTo(page, 'Contacts');
  await page.getByRole('heading', { name: 'Your contacts' }).waitFor();
}

test('sign-up and sign-in errors show beside the field they concern, in the user\'s language', async () => {
  const page = await newPage(browser, { width: 360, height: 740 });
  await page.goto(server.baseUrl + '/register');
  await page.getByLabel('Username', { exact: true }).fill(names.carol); // taken in before()
  await page.getByLabel('Email').fill(`${unique('x')}@example.org`);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  const username = page.getByLabel('Username', { exact: true });
  await page.getByText('That username is taken.').waitFor();
  assert.equal(await username.getAttribute('aria-invalid'), 'true');
  const described = await username.getAttribute('aria-describedby');
  assert.match(await page.locator(`[id="${described.split(' ').pop()}"]`).innerText(), /That username is taken/);

  await page.getByLabel('Username', { exact: true }).fill(unique('fresh'));
  await page.getByLabel('Password', { exact: true }).fill('short');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByText('Passwords are 8 to 256 characters.').waitFor();
  assert.equal(await page.getByLabel('Password', { exact: true }).getAttribute('aria-invalid'), 'true');
  await page.screenshot({ path: `${screenshotDir}/register-errors-en-phone-light.png` });

  await page.goto(server.baseUrl + '/login');
  await page.getByLabel('Language').selectOption('fr');
  await signIn(page, names.dave, 'not the password', 'fr');
  await page.getByRole('alert').filter({ hasText: 'Identifiant ou mot de passe incorrect.' }).waitFor();
  await page.context().close();
});

test('contact requests: decline, cancel, accept, remove, block and unblock', async () => {
  await requestContact(carol, names.dave);
  await freshContacts(dave);
  await section(dave, 'Requests for you').getByRole('button', { name: 'Decline' }).click();
  await section(dave, 'Requests for you').getByText('No requests for you.').waitFor();

  await requestContact(carol, names.dave);
  await section(carol, 'Requests you sent').getByRole('button', { name: 'Cancel request' }).click();
  await section(carol, 'Requests you sent').getByText('No requests waiting.').waitFor();
  await freshContacts(dave);
  await section(dave, 'Requests for you').getByText('No requests for you.').waitFor();

  await requestContact(carol, names.dave);
  await freshContacts(dave);
  await section(dave, 'Requests for you').getByRole('button', { name: 'Accept' }).click();
  await section(dave, 'Your contacts').getByText('Carol', { exact: true }).waitFor();
  await freshContacts(carol);
  await section(carol, 'Your contacts').getByText('Dave', { exact: true }).waitFor();

  await section(dave, 'Your contacts').getByRole('button', { name: 'Remove contact' }).click();
  await dave.getByRole('dialog').getByRole('button', { name: 'Remove contact' }).click();
  await section(dave, 'Your contacts').getByText('No contacts yet.').waitFor();

  // Dave blocks Carol (from the search): she can no longer open a conversation with him.
  await dave.getByLabel('Search people').fill(names.carol);
  await dave.getByRole('button', { name: 'Send contact request' }).waitFor();
  await freshContacts(dave);
  await requestContact(dave, names.carol);
  await freshContacts(carol);
  await section(carol, 'Requests for you').getByRole('button', { name: 'Accept' }).click();
  await freshContacts(dave);
  await section(dave, 'Your contacts').getByRole('button', { name: 'Block' }).click();
  await dave.getByRole('dialog').getByRole('button', { name: 'Block' }).click();
  await section(dave, 'Blocked people').getByText('Carol', { exact: true }).waitFor();
  await goTo(carol, 'Conversations');
  await carol.getByRole('button', { name: 'New conversation' }).click();
  await carol.getByRole('dialog').getByLabel('Search people').fill(names.dave);
  await carol.getByRole('dialog').getByRole('button', { name: /Message Dave/ }).click();
  await carol.getByRole('dialog').getByRole('alert').filter({ hasText: /not allowed|cannot/ }).waitFor();
  await carol.keyboard.press('Escape');

  // Nor can anyone put the two of them in a group through Dave (the same rule as direct
  // conversations): the app names who cannot be added.
  await goTo(dave, 'Conversations');
  await dave.getByRole('button', { name: 'New conversation' }).click();
  const create = dave.getByRole('dialog');
  await create.getByRole('button', { name: 'Group' }).click();
  await create.getByLabel('Group name').fill('Book club');
  await create.getByLabel('Search people').fill(names.carol);
  await create.getByLabel('Select Carol').check();
  await create.getByRole('button', { name: 'Create group' }).click();
  await create.getByRole('alert').filter({ hasText: 'You cannot add Carol to a group' }).waitFor();
  await dave.keyboard.press('Escape');
  assert.equal(await dave.getByRole('list', { name: 'Your conversations' }).getByText('Book club').count(), 0);
  await goTo(dave, 'Contacts');

  await section(dave, 'Blocked people').getByRole('button', { name: 'Unblock' }).click();
  await section(dave, 'Blocked people').getByText('You have blocked nobody.').waitFor();
  assert.deepEqual([...carol.errors, ...dave.errors], []);
});

test('settings: profile, sessions, password, and account deletion behind the password', async () => {
  await goTo(carol, 'Settings');
  const profile = section(carol, 'Profile');
  await profile.getByLabel('Display name').fill('Carol Ann');
  await profile.getByLabel('Bio').fill('Writes the release notes.');
  await profile.getByLabel('Who can message you directly').selectOption('contacts');
  await profile.getByRole('button', { name: 'Save profile' }).click();
  await profile.getByText('Saved.').waitFor();
  await profile.getByLabel('Display name').fill('   ');
  await profile.getByRole('button', { name: 'Save profile' }).waitFor();
  assert.equal(await profile.getByRole('button', { name: 'Save profile' }).isDisabled(), true);
  await carol.reload();
  await section(carol, 'Profile').getByLabel('Display name').waitFor();
  assert.equal(await section(carol, 'Profile').getByLabel('Display name').inputValue(), 'Carol Ann');
  assert.equal(await section(carol, 'Profile').getByLabel('Who can message you directly').inputValue(), 'contacts');

  // A second device signs in; this one signs it out.
  const phone = await newPage(browser, { width: 360, height: 740 });
  await phone.goto(server.baseUrl + '/login');
  await signIn(phone, names.carol, PASSWORD);
  await phone.getByRole('heading', { name: 'Conversations' }).waitFor();
  await goTo(carol, 'Conversations');
  await goTo(carol, 'Settings');
  const sessions = section(carol, 'Active sessions');
  await sessions.getByRole('button', { name: 'Sign out this session' }).first().waitFor();
  await sessions.getByRole('button', { name: 'Sign out this session' }).first().click();
  await sessions.getByText('This device').waitFor();
  // The phone finds out at its next request: its session ended.
  await goTo(phone, 'Contacts');
  await phone.getByText('Your session ended. Please sign in again.').waitFor({ timeout: 30_000 });

  // Password: a wrong current one is refused beside the form, the right one works.
  const password = section(carol, 'Change password');
  await password.getByLabel('Current password').fill('not my password');
  await password.getByLabel('New password').fill('a brand new secret');
  await password.getByRole('button', { name: 'Change password' }).click();
  await password.getByRole('alert').filter({ hasText: 'Wrong username, email or password.' }).waitFor();
  await password.getByLabel('Current password').fill(PASSWORD);
  await password.getByRole('button', { name: 'Change password' }).click();
  await password.getByText('Password changed.', { exact: false }).waitFor();

  // Deleting the account asks for the password.
  await section(carol, 'Delete account').getByRole('button', { name: 'Delete my account…' }).click();
  const dialog = carol.getByRole('dialog', { name: 'Delete your account?' });
  await dialog.getByLabel('Enter your password to confirm').fill(PASSWORD); // the old one: refused
  await dialog.getByRole('button', { name: 'Delete forever' }).click();
  await dialog.getByRole('alert').waitFor();
  await dialog.getByLabel('Enter your password to confirm').fill('a brand new secret');
  await dialog.getByRole('button', { name: 'Delete forever' }).click();
  await carol.getByRole('heading', { name: 'Sign in to Parley' }).waitFor();
  await signIn(carol, names.carol, 'a brand new secret');
  await carol.getByRole('alert').filter({ hasText: 'Wrong username, email or password.' }).waitFor();
  assert.deepEqual([...carol.errors, ...dave.errors], []);
});
