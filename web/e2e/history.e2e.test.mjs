// A long history in the browser: 10,000 messages page in as the reader scrolls up, only what is
// near the viewport is in the DOM, and the message being read stays put when older ones load.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launch } from './lib/browser.mjs';
import { PASSWORD, newPage, signIn, unique } from './lib/app.mjs';
import { apiCall, external, startServer } from './lib/server.mjs';

const TOTAL = 10_000;
let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.stop();
  server?.cleanup();
});

async function registerByApi(username) {
  const res = await apiCall(server.baseUrl, 'POST', '/api/v1/auth/register', {
    body: { username, email: `${username}@example.org`, password: PASSWORD },
  });
  assert.equal(res.status, 201);
  return res.body;
}

test(`a conversation of ${TOTAL.toLocaleString('en')} messages`, { skip: external ? 'the all-in-one run covers it' : false, timeout: 240_000 }, async () => {
  const reader = await registerByApi(unique('reader'));
  const writer = await registerByApi(unique('writer'));
  const direct = await apiCall(server.baseUrl, 'POST', '/api/v1/conversations', {
    token: writer.access_token, body: { kind: 'direct', user_id: reader.user.id },
  });
  assert.equal(direct.status, 201);
  const id = direct.body.id;
  // Sent in order, 32 at a time (seq is assigned by the server; bodies name their number).
  for (let start = 1; start <= TOTAL; start += 32) {
    const batch = [];
    for (let n = start; n < start + 32 && n <= TOTAL; n++)
      batch.push(apiCall(server.baseUrl, 'POST', `/api/v1/conversations/${id}/messages`, {
        token: writer.access_token, body: { body: `message number ${n}`, client_id: `m${n}` },
      }));
    for (const r of await Promise.all(batch)) assert.equal(r.status, 201);
  }

  const page = await newPage(browser, { width: 1280, height: 800 });
  await page.goto(server.baseUrl + '/login');
  await signIn(page, reader.user.username, PASSWORD);
  await page.getByRole('list', { name: 'Your conversations' }).getByRole('link').first().click();
  const list = page.getByRole('list', { name: 'Messages' });
  await list.getByRole('listitem').first().waitFor();

  // What the reader sees; with scrollBy, first scrolls (no further than 350 px from the top,
  // where older messages are asked for) and reads the view in the same moment, before any answer.
  const state = (scrollBy = 0) => page.evaluate((by) => {
    const scroller = document.querySelector('[data-testid="timeline-scroller"]');
    if (by) scroller.scrollTop = Math.max(0, Math.min(scroller.scrollTop - by, 350));
    const items = [...document.querySelectorAll('ul[aria-label="Messages"] > li')];
    const box = scroller.getBoundingClientRect();
    const middle = items.find((li) => {
      const r = li.getBoundingClientRect();
      return r.top >= box.top + 100 && r.bottom <= box.bottom;
    });
    return {
      rendered: items.length,
      loaded: Number(items[0]?.getAttribute('aria-setsize') ?? 0),
      anchorText: middle?.querySelector('p')?.textContent ?? null,
      anchorTop: middle ? middle.getBoundingClientRect().top : null,
      scrollTop: scroller.scrollTop,
    };
  }, scrollBy);
  const initial = await state();
  assert.ok(initial.loaded <= 200, `the first view reads one page, not the history (${initial.loaded})`);

  // Older pages are answered 400 ms late, so that the test sees the view between the scroll and
  // their arrival (the server still answers them; only the timing is held).
  await page.route(/\/messages\?before_seq=/, async (route) => {
    await new Promise((r) => setTimeout(r, 400));
    await route.continue();
  });
  // Scroll up a little at a time, as a reader would: each time older messages arrive above, the
  // message in view stays where it was on the screen.
  let checks = 0;
  for (let i = 0; i < 40; i++) {
    await state(300);
    await page.waitForTimeout(100); // the rows for the new position are drawn; the older page is held back
    const before = await state();
    await page.waitForFunction((n) => Number(document.querySelector('ul[aria-label="Messages"] > li')?.getAttribute('aria-setsize')) > n, before.loaded, { timeout: 10_000 });
    await page.waitForTimeout(120); // let the new rows be measured
    const afterLoad = await state();
    if (before.anchorText) {
      const same = await page.evaluate((text) => {
        const p = [...document.querySelectorAll('ul[aria-label="Messages"] > li p')].find((x) => x.textContent === text);
        return p ? p.closest('li').getBoundingClientRect().top : null;
      }, before.anchorText);
      assert.notEqual(same, null, `${before.anchorText} is still rendered after older messages loaded`);
      assert.ok(Math.abs(same - before.anchorTop) < 40, `the view jumped by ${same - before.anchorTop}px when older messages loaded`);
      checks++;
    }
    assert.ok(afterLoad.rendered < 100, `${afterLoad.rendered} rows in the DOM with ${afterLoad.loaded} loaded`);
  }
  assert.ok(checks >= 30, `the anchor was checked ${checks} times`);

  await page.unroute(/\/messages\?before_seq=/);
  // Then all the way to the beginning: still only what is near the viewport is in the DOM.
  for (let i = 0; i < 400; i++) {
    const s = await state();
    if (s.loaded >= TOTAL) break;
    await page.evaluate(() => (document.querySelector('[data-testid="timeline-scroller"]').scrollTop = 0));
    await page.waitForTimeout(40);
  }
  await page.evaluate(() => (document.querySelector('[data-testid="timeline-scroller"]').scrollTop = 0));
  await page.getByText('This is the beginning of the conversation.').waitFor({ timeout: 20_000 });
  await list.getByText('message number 1', { exact: true }).waitFor();
  const end = await state();
  assert.equal(end.loaded, TOTAL);
  assert.ok(end.rendered < 100, `${end.rendered} rows in the DOM for ${end.loaded} messages`);
  const nodes = await page.evaluate(() => document.querySelectorAll('*').length);
  assert.ok(nodes < 2500, `${nodes} DOM nodes in all`);
  console.log(`history: ${end.loaded} messages loaded, ${end.rendered} rows and ${nodes} DOM nodes on the page`);
  assert.deepEqual(page.errors, []);
});
