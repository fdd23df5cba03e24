// The web app's static files: the all-in-one serves PARLEY_WEB_DIR (here a fixture it is
// started on), the gateway serves web/dist the same way (checked generically on whatever app is
// built there when PARLEY_BASE_URL is set).
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, symlink, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import zlib from 'node:zlib';
import { api, expectError, externalBaseUrl, needsOwnServer, opsUrl, start, stopCleanly } from './lib/harness.mjs';

const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; font-src 'self'; "
  + "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; manifest-src 'self'";
const IMMUTABLE = 'public, max-age=31536000, immutable';

// One request through node:http, which neither decodes gzip nor normalizes the path.
function raw(base, urlPath, { method = 'GET', headers = {} } = {}) {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ hostname, port, method, path: urlPath, headers, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

function assertHtmlHeaders(res) {
  assert.match(res.headers['content-type'], /^text\/html/);
  assert.equal(res.headers['content-security-policy'], CSP);
  assert.equal(res.headers['referrer-policy'], 'no-referrer');
  assert.equal(res.headers['x-frame-options'], 'DENY');
  assert.equal(res.headers['x-content-type-options'], 'nosniff');
  assert.equal(res.headers['cache-control'], 'no-cache');
  assert.ok(res.headers.etag, 'no ETag');
}

describe('the all-in-one serves PARLEY_WEB_DIR', { skip: needsOwnServer }, () => {
  const INDEX = '<!doctype html><html><head><link rel="stylesheet" href="/assets/app-abc123.css">'
    + '<script type="module" src="/assets/app-abc123.js"></script></head><body><div id="root"></div></body></html>\n';
  const JS = `console.log(${JSON.stringify('hello '.repeat(300))});\n`;
  const CSS = `body { margin: 0; }\n${'.x { color: red; }\n'.repeat(100)}`;
  let server;
  let base;
  let root;

  before(async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'parley-web-'));
    root = path.join(dir, 'dist');
    await mkdir(path.join(root, 'assets'), { recursive: true });
    const files = {
      'index.html': INDEX, 'assets/app-abc123.js': JS, 'assets/app-abc123.css': CSS,
      'robots.txt': 'User-agent: *\n', 'manifest.webmanifest': '{"name":"Parley"}',
      'favicon.ico': Buffer.from([0, 0, 1, 0]), '.env': 'SECRET=dotfile',
    };
    for (const [name, content] of Object.entries(files)) await writeFile(path.join(root, name), content);
    for (const name of ['index.html', 'assets/app-abc123.js', 'assets/app-abc123.css']) {
      await writeFile(path.join(root, `${name}.gz`), zlib.gzipSync(files[name]));
    }
    await writeFile(path.join(dir, 'secret.txt'), 'SECRET=outside');
    await symlink(path.join(dir, 'secret.txt'), path.join(root, 'leak.txt'));
    server = await start({ env: { PARLEY_WEB_DIR: root } });
    base = server.baseUrl;
  });
  after(() => stopCleanly(server));

  test('GET / is index.html with the security headers, revalidated by its ETag', async () => {
    const res = await raw(base, '/');
    assert.equal(res.status, 200);
    assert.equal(res.body.toString(), INDEX);
    assertHtmlHeaders(res);
    assert.equal(res.headers['vary'], 'Accept-Encoding');  // an index.html.gz exists
    assert.equal(res.headers['content-encoding'], undefined);
    const again = await raw(base, '/', { headers: { 'if-none-match': res.headers.etag } });
    assert.equal(again.status, 304);
    assert.equal(again.body.length, 0);
    assert.equal(again.headers.etag, res.headers.etag);
    assert.equal((await raw(base, '/', { headers: { 'if-none-match': '"stale"' } })).status, 200);
    const head = await raw(base, '/', { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
    assert.equal(Number(head.headers['content-length']), Buffer.byteLength(INDEX));
  });

  test('a path the app routes itself answers the same index.html (reload of a deep link)', async () => {
    const first = await raw(base, '/');
    for (const p of ['/conversations/0190aaaa-0000-7000-8000-000000000000', '/settings/sessions', '/index.html',
      '/conversations/', '/nope.png']) {
      const res = await raw(base, p);
      assert.equal(res.status, 200, p);
      assert.equal(res.body.toString(), INDEX, p);
      assert.equal(res.headers.etag, first.headers.etag, p);
      assertHtmlHeaders(res);
    }
  });

  test('hashed assets are immutable, and gzip when the client accepts it', async () => {
    for (const [file, content, type] of [['app-abc123.js', JS, /^text\/javascript/], ['app-abc123.css', CSS, /^text\/css/]]) {
      const plain = await raw(base, `/assets/${file}`);
      assert.equal(plain.status, 200);
      assert.equal(plain.body.toString(), content);
      assert.match(plain.headers['content-type'], type);
      assert.equal(plain.headers['cache-control'], IMMUTABLE);
      assert.equal(plain.headers['vary'], 'Accept-Encoding');
      assert.equal(plain.headers['x-content-type-options'], 'nosniff');
      assert.equal(plain.headers['content-encoding'], undefined);
      assert.equal(plain.headers['content-security-policy'], undefined);
      const gzip = await raw(base, `/assets/${file}`, { headers: { 'accept-encoding': 'gzip, deflate, br' } });
      assert.equal(gzip.status, 200);
      assert.equal(gzip.headers['content-encoding'], 'gzip');
      assert.equal(gzip.headers['vary'], 'Accept-Encoding');
      assert.equal(gzip.headers['cache-control'], IMMUTABLE);
      assert.ok(gzip.body.length < plain.body.length);
      assert.equal(zlib.gunzipSync(gzip.body).toString(), content);
      assert.notEqual(gzip.headers.etag, plain.headers.etag);
      const refused = await raw(base, `/assets/${file}`, { headers: { 'accept-encoding': 'gzip;q=0, br' } });
      assert.equal(refused.headers['content-encoding'], undefined);
    }
    const decoded = await fetch(`${base}/assets/app-abc123.js`);  // fetch asks for gzip and decodes it
    assert.equal(await decoded.text(), JS);
  });

  test('a missing asset is 404, never the HTML page', async () => {
    for (const p of ['/assets/app-missing.js', '/assets/app-missing.css', '/assets/', '/assets/app-abc123.js.gz']) {
      const res = await raw(base, p);
      assert.equal(res.status, 404, p);
      assert.doesNotMatch(res.headers['content-type'] ?? '', /html/, p);
      assert.equal(res.headers['cache-control'], 'no-store', p);
    }
  });

  test('other top-level files: their type, revalidated', async () => {
    const expected = [['/robots.txt', /^text\/plain/], ['/favicon.ico', /^image\/x-icon$/],
      ['/manifest.webmanifest', /^application\/manifest\+json$/]];
    for (const [p, type] of expected) {
      const res = await raw(base, p, { headers: { 'accept-encoding': 'gzip' } });
      assert.equal(res.status, 200, p);
      assert.match(res.headers['content-type'], type, p);
      assert.equal(res.headers['cache-control'], 'no-cache', p);
      assert.equal(res.headers['x-content-type-options'], 'nosniff', p);
      assert.equal(res.headers['vary'], undefined, p);  // no .gz beside them
      assert.equal(res.headers['content-encoding'], undefined, p);
      assert.equal(res.headers['content-security-policy'], undefined, p);
    }
  });

  test('no way out of the folder, and no dotfiles', async () => {
    const tries = ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/%2e%2e/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt',
      '/%2E%2E%2Fsecret.txt', '/a/../../secret.txt', '/.%2e/secret.txt', '/assets/..%5c..%5csecret.txt'];
    for (const p of tries) {
      const res = await raw(base, p);
      assert.ok([400, 404].includes(res.status), `${p}: ${res.status}`);
      assert.doesNotMatch(res.body.toString(), /SECRET/, p);
    }
    for (const p of ['/.env', '/leak.txt']) {  // a dotfile, a symlink leading outside: not files
      const res = await raw(base, p);
      assert.doesNotMatch(res.body.toString(), /SECRET/, p);
      assert.equal(res.body.toString(), INDEX, p);
    }
  });

  test('the API, the internal and the operations paths are not the app\'s', async () => {
    for (const p of ['/api/v1/nope', '/api', '/api/', '/internal/v1/nope']) {
      expectError(await api(base, 'GET', p), 404, 'not_found');
    }
    expectError(await api(base, 'POST', '/'), 404, 'not_found');
    expectError(await api(base, 'DELETE', '/conversations/x'), 404, 'not_found');
    assert.equal((await api(base, 'GET', '/livez')).status, 200);
    assert.equal((await api(base, 'GET', '/readyz')).status, 200);
    expectError(await api(base, 'GET', '/livez/x'), 404, 'not_found');
    assert.equal((await api(base, 'GET', '/api/v1/auth/jwks')).status, 200);
  });

  test('metrics count the app under one route label, not its paths', async () => {
    await raw(base, '/conversations/some-id-for-metrics');
    const text = (await api(opsUrl(base), 'GET', '/metrics')).text;
    assert.match(text, /parley_http_requests_total\{route="\(web\)",status="200"\} \d+/);
    assert.doesNotMatch(text, /some-id-for-metrics/);
  });
});

describe('without a web app', { skip: needsOwnServer }, () => {
  test('a missing folder: one warning at start, and / answers 404 not_found', async () => {
    const missing = path.join(tmpdir(), 'parley-no-such-web-dir');
    const server = await start({ env: { PARLEY_WEB_DIR: missing } });
    try {
      expectError(await api(server.baseUrl, 'GET', '/'), 404, 'not_found');
      expectError(await api(server.baseUrl, 'GET', '/conversations/x'), 404, 'not_found');
      const warnings = server.output().split('\n').filter((l) => l.includes('no web app to serve'));
      assert.equal(warnings.length, 1, server.output());
      assert.match(warnings[0], /"level":"warn"/);
      assert.ok(warnings[0].includes(missing));
    } finally {
      await stopCleanly(server);
    }
  });

  test('PARLEY_WEB_DIR empty: no app and no warning', async () => {
    const server = await start({ env: { PARLEY_WEB_DIR: '' } });
    try {
      expectError(await api(server.baseUrl, 'GET', '/'), 404, 'not_found');
      assert.doesNotMatch(server.output(), /web app/);
    } finally {
      await stopCleanly(server);
    }
  });
});

// Through the gateway: whatever app web/dist holds (scripts/test builds it first).
describe('the gateway serves the built web app', { skip: externalBaseUrl ? false : 'PARLEY_BASE_URL is not set' }, () => {
  let index;
  before(async () => {
    index = await raw(externalBaseUrl, '/');
    assert.equal(index.status, 200, 'GET / through the gateway: is web/dist built?');
  });

  test('GET / is HTML with the security headers', () => {
    assertHtmlHeaders(index);
  });

  test('a deep link answers the same index.html', async () => {
    const res = await raw(externalBaseUrl, '/conversations/0190aaaa-0000-7000-8000-000000000000');
    assert.equal(res.status, 200);
    assert.equal(res.body.toString(), index.body.toString());
    assertHtmlHeaders(res);
    const again = await raw(externalBaseUrl, '/', { headers: { 'if-none-match': index.headers.etag } });
    assert.equal(again.status, 304);
  });

  test('the first script index.html names is immutable, and gzip when accepted', async () => {
    const script = index.body.toString().match(/\/assets\/[^"'\s>]+\.js/)?.[0];
    assert.ok(script, `no /assets/*.js in index.html:\n${index.body}`);
    const plain = await raw(externalBaseUrl, script);
    assert.equal(plain.status, 200);
    assert.match(plain.headers['content-type'], /javascript/);
    assert.equal(plain.headers['cache-control'], IMMUTABLE);
    assert.equal(plain.headers['x-content-type-options'], 'nosniff');
    const gzip = await raw(externalBaseUrl, script, { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(gzip.status, 200);
    assert.equal(gzip.headers['content-encoding'], 'gzip');
    assert.match(gzip.headers['vary'] ?? '', /Accept-Encoding/);
    assert.equal(gzip.headers['cache-control'], IMMUTABLE);
    assert.ok(zlib.gunzipSync(gzip.body).equals(plain.body));
  });

  test('a missing asset is 404; the API stays JSON', async () => {
    const missing = await raw(externalBaseUrl, '/assets/x.js');
    assert.equal(missing.status, 404);
    assert.doesNotMatch(missing.headers['content-type'] ?? '', /javascript/);
    expectError(await api(externalBaseUrl, 'GET', '/api/v1/nope'), 404, 'not_found');
    for (const p of ['/api', '/livez', '/metrics', '/internal/v1/users']) {
      assert.equal((await raw(externalBaseUrl, p)).status, 404, p);
    }
  });

  test('another method than GET on the app\'s paths is no route, in the envelope (as in the all-in-one)', async () => {
    expectError(await api(externalBaseUrl, 'POST', '/'), 404, 'not_found');
    expectError(await api(externalBaseUrl, 'DELETE', '/conversations/x'), 404, 'not_found');
  });
});
