// UserService: own profile, other profiles, search; and that every /users route needs a valid token.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { api, expectError, expectInvalid, registerUser, uniqueName, useServer } from './lib/harness.mjs';

const server = useServer();
const base = () => server().baseUrl;
const get = (path, token) => api(base(), 'GET', path, { token });
const patchMe = (token, body) => api(base(), 'PATCH', '/api/v1/users/me', { token, body });
const search = (token, params) => get(`/api/v1/users?${new URLSearchParams(params)}`, token);

const PROFILE_KEYS = ['bio', 'created_at', 'display_name', 'id', 'username'];

describe('authentication', () => {
  let token;
  before(async () => {
    token = (await registerUser(base())).access_token;
  });

  // Tokens that must be refused: each built from a real one.
  const forged = {
    missing: () => undefined,
    garbage: () => 'garbage',
    'altered payload': () => {
      const [header, payload, signature] = token.split('.');
      const claims = JSON.parse(Buffer.from(payload, 'base64url'));
      claims.sub = `${claims.sub}x`;
      return [header, Buffer.from(JSON.stringify(claims)).toString('base64url'), signature].join('.');
    },
    'alg none': () => {
      const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
      return `${header}.${token.split('.')[1]}.`;
    },
  };
  const routes = [
    ['GET', '/api/v1/users/me'],
    ['PATCH', '/api/v1/users/me'],
    ['GET', '/api/v1/users/some-id'],
    ['GET', '/api/v1/users?query=a'],
  ];
  for (const [name, make] of Object.entries(forged)) {
    test(`a ${name} token answers 401 on every route`, async () => {
      for (const [method, path] of routes) {
        const body = method === 'PATCH' ? { bio: 'x' } : undefined;
        expectError(await api(base(), method, path, { token: make(), body }), 401, 'unauthenticated');
      }
    });
  }

  test('a malformed Authorization header answers 401', async () => {
    for (const authorization of [`Basic ${token}`, 'Bearer', `Token ${token}`]) {
      const res = await api(base(), 'GET', '/api/v1/users/me', { headers: { authorization } });
      expectError(res, 401, 'unauthenticated');
    }
  });
});

describe('own profile', () => {
  test('starts with an empty bio and dm_policy everyone', async () => {
    const { user, access_token } = await registerUser(base());
    const res = await get('/api/v1/users/me', access_token);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body, {
      id: user.id,
      username: user.username,
      display_name: user.display_name,
      bio: '',
      created_at: user.created_at,
      dm_policy: 'everyone',
    });
  });

  test('PATCH changes only the given fields', async () => {
    const { access_token } = await registerUser(base());
    const initial = (await get('/api/v1/users/me', access_token)).body;
    const steps = [
      { display_name: 'New Name' },
      { bio: 'line one\nline two 🎉' },
      { dm_policy: 'contacts' },
      { dm_policy: 'everyone', bio: '' },
      { bio: '😀'.repeat(500) }, // 500 code points
      {},
    ];
    let expected = initial;
    for (const change of steps) {
      expected = { ...expected, ...change };
      const res = await patchMe(access_token, change);
      assert.equal(res.status, 200, `${JSON.stringify(change)}: ${res.text}`);
      assert.deepEqual(res.body, expected);
      assert.deepEqual((await get('/api/v1/users/me', access_token)).body, expected);
    }
  });

  test('PATCH trims display_name', async () => {
    const { access_token } = await registerUser(base());
    assert.equal((await patchMe(access_token, { display_name: '  Padded  ' })).body.display_name, 'Padded');
  });

  const invalid = [
    ['display_name empty', { display_name: '' }, 'display_name'],
    ['display_name only spaces', { display_name: '  ' }, 'display_name'],
    ['display_name of 65 characters', { display_name: 'd'.repeat(65) }, 'display_name'],
    ['display_name with a newline', { display_name: 'two\nlines' }, 'display_name'],
    ['display_name not a string', { display_name: 5 }, 'display_name'],
    ['display_name null', { display_name: null }, 'display_name'],
    ['bio of 501 characters', { bio: 'b'.repeat(501) }, 'bio'],
    ['bio with a control character', { bio: 'nul\u0001' }, 'bio'],
    ['bio not a string', { bio: ['x'] }, 'bio'],
    ['dm_policy unknown', { dm_policy: 'nobody' }, 'dm_policy'],
    ['a good field with a bad one', { display_name: 'Fine', dm_policy: 'EVERYONE' }, 'dm_policy'],
    ['an unknown field', { username: 'renamed' }, 'username'],
  ];
  for (const [name, body, field] of invalid) {
    test(`PATCH rejects ${name} and changes nothing`, async () => {
      const { access_token } = await registerUser(base());
      const initial = (await get('/api/v1/users/me', access_token)).body;
      expectInvalid(await patchMe(access_token, body), field);
      assert.deepEqual((await get('/api/v1/users/me', access_token)).body, initial);
    });
  }
});

describe("another user's profile", () => {
  test('without dm_policy or email', async () => {
    const viewer = await registerUser(base());
    const other = await registerUser(base(), { display_name: 'Other' });
    await patchMe(other.access_token, { bio: 'hello', dm_policy: 'contacts' });
    const res = await get(`/api/v1/users/${other.user.id}`, viewer.access_token);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body, {
      id: other.user.id,
      username: other.user.username,
      display_name: 'Other',
      bio: 'hello',
      created_at: other.user.created_at,
    });
  });

  test('unknown id answers 404', async () => {
    const { access_token } = await registerUser(base());
    for (const id of ['0190aaaa-0000-7000-8000-000000000000', 'nonsense']) {
      expectError(await get(`/api/v1/users/${id}`, access_token), 404, 'not_found');
    }
  });
});

describe('search', () => {
  // Users sharing a random prefix, so that other tests' users do not interfere.
  const prefix = uniqueName('s');
  let token;
  let byUsername; // every user the prefix finds, ordered by username
  before(async () => {
    const made = [];
    for (const suffix of ['c', 'a', 'e', 'b', 'd', '_x']) {
      made.push((await registerUser(base(), { username: prefix + suffix })).user);
    }
    // Found by display name only.
    made.push((await registerUser(base(), { display_name: `${prefix.toUpperCase()} by display name` })).user);
    token = (await registerUser(base())).access_token;
    byUsername = made.map((u) => u.username).sort();
  });

  const names = (res) => res.body.items.map((p) => p.username);

  test('finds by username or display name prefix, case-insensitively, ordered by username', async () => {
    for (const query of [prefix, prefix.toUpperCase()]) {
      const res = await search(token, { query });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(names(res), byUsername);
      assert.equal(res.body.next_cursor, null);
      for (const p of res.body.items) assert.deepEqual(Object.keys(p).sort(), PROFILE_KEYS);
    }
    assert.deepEqual(names(await search(token, { query: `${prefix}a` })), [`${prefix}a`]);
  });

  test('pages with next_cursor, without repeats', async () => {
    const seen = [];
    let cursor;
    for (let page = 0; page < 10; page++) {
      const res = await search(token, { query: prefix, limit: '2', ...(cursor && { cursor }) });
      assert.equal(res.status, 200, res.text);
      assert.ok(res.body.items.length <= 2);
      seen.push(...names(res));
      cursor = res.body.next_cursor;
      if (cursor === null) break;
      assert.equal(typeof cursor, 'string');
    }
    assert.equal(cursor, null, 'paging did not end');
    assert.deepEqual(seen, byUsername);
  });

  test('% and _ are literal', async () => {
    assert.deepEqual(names(await search(token, { query: `${prefix}_` })), [`${prefix}_x`]);
    assert.deepEqual(names(await search(token, { query: `${prefix}%` })), []);
    const percent = await search(token, { query: '%' });
    assert.equal(percent.status, 200, percent.text);
    for (const p of percent.body.items) assert.ok(p.display_name.startsWith('%'), p.display_name);
  });

  test('limit defaults to 50', async () => {
    const many = uniqueName('m');
    for (let i = 0; i < 51; i++) await registerUser(base(), { username: `${many}${String(i).padStart(2, '0')}` });
    const first = await search(token, { query: many });
    assert.equal(first.body.items.length, 50);
    const second = await search(token, { query: many, cursor: first.body.next_cursor });
    assert.deepEqual(names(second), [`${many}50`]);
    assert.equal(second.body.next_cursor, null);
  });

  test('limit above 200 is clamped', async () => {
    const res = await search(token, { query: prefix, limit: '1000' });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(names(res), byUsername);
  });

  const badParams = [
    ['limit 0', { query: 'a', limit: '0' }, 'limit'],
    ['negative limit', { query: 'a', limit: '-1' }, 'limit'],
    ['non-numeric limit', { query: 'a', limit: 'ten' }, 'limit'],
    ['missing query', {}, 'query'],
    ['empty query', { query: '' }, 'query'],
  ];
  for (const [name, params, field] of badParams) {
    test(`rejects ${name}`, async () => {
      expectInvalid(await search(token, params), field);
    });
  }
});
