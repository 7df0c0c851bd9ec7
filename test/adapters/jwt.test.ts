import test, { type ExecutionContext } from 'ava';
import Koa from 'koa';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair, type JWTPayload } from 'jose';
import { createSystem, jwtAuthorize, patternCovers, sse, InvalidTokenError, TopicNotGrantedError, type InvalidTokenReason, type JwtAuthorizeOptions, type SseSystem } from '../../src/index.ts';
import { SseClient, eventually, get } from '../helpers/sse-client.ts';

const SECRET = new TextEncoder().encode('a-test-secret-of-at-least-32-bytes!!');
const OTHER = new TextEncoder().encode('another-secret-of-at-least-32-bytes!');
const now = () => Math.floor(Date.now() / 1000);
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** An HS256 token for `sub`, allowed `subscribe`, valid for an hour unless `claims` say otherwise. */
function token(subscribe: unknown = ['room.*'], claims: JWTPayload = {}, key: Uint8Array = SECRET, alg = 'HS256'): Promise<string> {
  return new SignJWT({ sse: { subscribe }, ...claims })
    .setProtectedHeader({ alg })
    .setSubject((claims.sub as string | undefined) ?? 'u1')
    .setIssuedAt()
    .setExpirationTime((claims.exp as number | undefined) ?? now() + 3600)
    .sign(key);
}

interface Served {
  url: string;
  system: SseSystem;
  errors: unknown[];
}

/** Koa with `sse(system, { authorize: jwtAuthorize(options) })`, streaming `?topics=a,b`. */
async function serve(t: ExecutionContext, options: JwtAuthorizeOptions = { key: SECRET }, topics = ['room.a', 'room.b', 'news', 'user.*']): Promise<Served> {
  const system = createSystem({ topics, keepAlive: 0 });
  const errors: unknown[] = [];
  const app = new Koa();
  app.keys = ['koa-cookie-signing-key']; // the token cookie is read unsigned all the same (the JWT is signed)
  app.on('error', (error) => errors.push(error));
  app.use(sse(system, { authorize: jwtAuthorize(options) }));
  app.use((ctx) => ctx.sse(String(ctx.query.topics ?? 'room.a').split(',')));
  const server = http.createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(async () => {
    await system.stop({ timeoutMs: 1000 });
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, system, errors };
}

const cookie = (value: string) => ({ cookie: `sse_token=${value}` });
const bearer = (value: string) => ({ authorization: `Bearer ${value}` });

test('a valid token in the cookie streams, with the user from sub; one in the Authorization header too', async (t) => {
  const { url, system } = await serve(t);
  const viaCookie = await SseClient.connect(`${url}/?topics=room.a`, cookie(await token(['room.*'], { sub: 'alice' })));
  t.is(viaCookie.status, 200);
  const viaHeader = await SseClient.connect(`${url}/?topics=room.b`, bearer(await token(['room.b'], { sub: 'bob' })));
  t.is(viaHeader.status, 200);
  await eventually(() => system.snapshot().connections.filter((c) => c.state === 'streaming').length === 2, 5000, 'two streams');
  t.deepEqual(system.snapshot().connections.map((c) => [c.user, c.topics]).sort(), [[{ id: 'alice' }, ['room.a']], [{ id: 'bob' }, ['room.b']]]);
  system.notify({ id: 1, topic: 'room.a', data: { data: 'hi a' } });
  await viaCookie.untilEvents(1);
  t.is(viaCookie.raw, 'id: 1\ndata: hi a\n\n');
  viaCookie.close();
  viaHeader.close();
});

test('the header wins over the cookie; a header of another scheme leaves the cookie to decide', async (t) => {
  const { url } = await serve(t);
  const good = await token();
  const badHeader = await get(`${url}/?topics=room.a`, { ...cookie(good), authorization: 'Bearer not.a.token', accept: 'text/event-stream' });
  t.is(badHeader.status, 401);
  const basic = await SseClient.connect(`${url}/?topics=room.a`, { ...cookie(good), authorization: 'Basic dXNlcjpwYXNz' });
  t.is(basic.status, 200);
  basic.close();
});

test('missing, expired, not yet valid, malformed, wrongly signed, alg none, other alg, huge, no exp, no sub: 401 Unauthorized, nothing more', async (t) => {
  const { url, system, errors } = await serve(t, { key: SECRET, algorithms: ['HS256'] });
  const { privateKey } = await generateKeyPair('ES256');
  const cases: Array<[string, Record<string, string>, InvalidTokenReason]> = [
    ['no token', {}, 'missing'],
    ['an empty cookie', cookie(''), 'missing'],
    ['expired', cookie(await token(['room.*'], { exp: now() - 10 })), 'invalid'],
    ['not yet valid', cookie(await new SignJWT({ sse: { subscribe: ['**'] } }).setProtectedHeader({ alg: 'HS256' }).setSubject('u1').setNotBefore(now() + 600).setExpirationTime('2h').sign(SECRET)), 'invalid'],
    ['malformed', cookie('abc.def.ghi'), 'invalid'],
    ['random bytes', cookie('%00%FF%C3%28'), 'invalid'],
    ['wrong secret', cookie(await token(['**'], {}, OTHER)), 'invalid'],
    ['an ES256 token', bearer(await new SignJWT({ sse: { subscribe: ['**'] } }).setProtectedHeader({ alg: 'ES256' }).setSubject('u1').setExpirationTime('1h').sign(privateKey)), 'invalid'],
    ['alg none', cookie(`${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'u1', exp: now() + 3600, sse: { subscribe: ['**'] } })}.`), 'invalid'],
    ['HS512 when only HS256 is accepted', cookie(await token(['**'], {}, SECRET, 'HS512')), 'invalid'],
    ['a huge token', bearer('x'.repeat(8193)), 'too-long'],
    ['no exp', cookie(await new SignJWT({ sse: { subscribe: ['**'] } }).setProtectedHeader({ alg: 'HS256' }).setSubject('u1').sign(SECRET)), 'invalid'],
    ['no sub', cookie(await new SignJWT({ sse: { subscribe: ['**'] } }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(SECRET)), 'invalid'],
    ['a numeric sub', cookie(await new SignJWT({ sub: 7 as unknown as string, sse: { subscribe: ['**'] } }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(SECRET)), 'invalid'],
  ];
  for (const [what, headers, reason] of cases) {
    errors.length = 0;
    const answer = await get(`${url}/?topics=room.a`, { ...headers, accept: 'text/event-stream' });
    t.is(answer.status, 401, what);
    t.is(answer.body, 'Unauthorized', what);
    t.is(answer.headers['www-authenticate'], reason === 'missing' ? 'Bearer' : 'Bearer error="invalid_token"', what);
    t.true(errors[0] instanceof InvalidTokenError, what);
    t.is((errors[0] as InvalidTokenError).reason, reason, what);
  }
  t.is(system.snapshot().connections.length, 0);
  t.is(system.snapshot().admitting, 0);
});

test('issuer and audience, when given, must match: 401 otherwise', async (t) => {
  const { url } = await serve(t, { key: SECRET, issuer: 'https://auth.example', audience: ['sse', 'sse2'] });
  const right = await token(['**'], { iss: 'https://auth.example', aud: 'sse2' });
  const ok = await SseClient.connect(`${url}/?topics=room.a`, cookie(right));
  t.is(ok.status, 200);
  ok.close();
  for (const claims of [{ iss: 'https://evil.example', aud: 'sse' }, { iss: 'https://auth.example', aud: 'other' }, { iss: 'https://auth.example' }]) {
    const answer = await get(`${url}/?topics=room.a`, { ...cookie(await token(['**'], claims)), accept: 'text/event-stream' });
    t.is(answer.status, 401, JSON.stringify(claims));
    t.is(answer.body, 'Unauthorized');
  }
});

test('topics outside the claim answer 403 Forbidden (no topic named); patterns in the claim and in the request', async (t) => {
  const { url, errors, system } = await serve(t);
  const cases: Array<[unknown, string, number]> = [
    [['room.*'], 'room.a,room.b', 200],
    [['room.*'], 'news', 403],
    [['room.*'], 'room.a,news', 403],
    [['room.a'], 'room.*', 403], // room.* expands to room.a and room.b
    [['room.*', 'news'], 'room.*,news', 200],
    [['**'], 'user.*', 200], // a live family pattern, covered by **
    [['user.*'], 'user.*', 200],
    [['user.42'], 'user.*', 403], // the family pattern reaches every user
    [['user.42'], 'user.42', 200],
    [['user.*'], 'user.42', 200],
    [['user.4*'], 'user.42', 403], // * only stands for a whole segment
    [[], 'room.a', 403],
    ['room.*', 'room.a', 403], // not a list: nothing allowed
    [[7, null, 'room.a'], 'room.a', 200], // non-strings are ignored
  ];
  for (const [subscribe, topics, status] of cases) {
    errors.length = 0;
    const answer = await SseClient.connect(`${url}/?topics=${encodeURIComponent(topics)}`, cookie(await token(subscribe, { sub: 'carol' })));
    t.is(answer.status, status, `${JSON.stringify(subscribe)} asking for ${topics}`);
    if (status === 403) {
      await answer.untilEnded();
      t.is(answer.raw, 'Forbidden');
      t.true(errors[0] instanceof TopicNotGrantedError);
      t.is((errors[0] as TopicNotGrantedError).user, 'carol');
    }
    answer.close();
  }
  await eventually(() => system.snapshot().connections.length === 0, 5000, 'all released');
  // No claim at all
  const none = await get(`${url}/?topics=room.a`, { ...cookie(await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('u').setExpirationTime('1h').sign(SECRET)), accept: 'text/event-stream' });
  t.is(none.status, 403);
});

test('a claim at a path, a JWK key set, info from the claims, a cookie of another name', async (t) => {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' };
  const { url, system } = await serve(t, { jwks: { keys: [jwk] }, claim: ['https://example.com/claims', 'sse'], cookie: 'auth', info: (claims) => ({ name: String(claims.name) }) });
  const signed = await new SignJWT({ name: 'Ada', 'https://example.com/claims': { sse: { subscribe: ['room.*'] } } })
    .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
    .setSubject('ada')
    .setExpirationTime('1h')
    .sign(privateKey);
  const client = await SseClient.connect(`${url}/?topics=room.a`, { cookie: `auth=${signed}` });
  t.is(client.status, 200);
  await eventually(() => system.snapshot().connections[0]?.state === 'streaming', 5000, 'streaming');
  t.deepEqual(system.snapshot().connections[0]?.user, { id: 'ada', info: { name: 'Ada' } });
  client.close();
  t.is((await get(`${url}/?topics=room.a`, { cookie: `sse_token=${signed}`, accept: 'text/event-stream' })).status, 401, 'the default cookie name is not read');
});

test('the stream ends at exp with a jittered retry', async (t) => {
  const { url, system } = await serve(t);
  const exp = now() + 4; // at least three seconds of validity: a loaded machine may take a second or two to verify
  const client = await SseClient.connect(`${url}/?topics=room.a`, cookie(await token(['room.*'], { exp })));
  t.is(client.status, 200);
  await client.untilEnded(10_000);
  t.true(Date.now() >= exp * 1000, 'not before exp');
  const retry = Number(/retry: (\d+)\n\n$/.exec(client.raw)?.[1]);
  t.true(retry >= 1000 && retry <= 2000, client.raw);
  await eventually(() => system.snapshot().connections.length === 0, 5000, 'released');
  t.is(system.snapshot().counters.lifetimeEnded, 1);
});

test('options are checked when jwtAuthorize is called', (t) => {
  t.throws(() => jwtAuthorize({}), { instanceOf: TypeError, message: /exactly one of key and jwks/ });
  t.throws(() => jwtAuthorize({ key: SECRET, jwks: { keys: [] } }), { message: /exactly one of key and jwks/ });
  t.throws(() => jwtAuthorize({ key: new Uint8Array(16) }), { message: /at least 32 bytes/ });
  t.throws(() => jwtAuthorize({ key: SECRET, algorithms: ['HS256', 'none'] }), { message: /never accepts alg "none"/ });
  t.throws(() => jwtAuthorize({ key: SECRET, algorithms: [] }), { message: /non-empty list/ });
  t.throws(() => jwtAuthorize({ key: SECRET, maxTokenLength: 0 }), { message: /maxTokenLength/ });
  t.throws(() => jwtAuthorize({ key: SECRET, clockToleranceSec: -1 }), { message: /clockToleranceSec/ });
  t.throws(() => jwtAuthorize({ key: SECRET, claim: [] }), { message: /claim/ });
});

test('patternCovers: a name matches; a pattern is covered only when everything it matches is', (t) => {
  const yes: Array<[string, string]> = [['room.*', 'room.a'], ['room.*', 'room.*'], ['**', '**'], ['**', 'a.*.b'], ['a.**', 'a.*.b'], ['a.**', 'a.**'], ['a.**.c', 'a.*.*.c'], ['*.b', '*.b'], ['a.*', 'a.b']];
  const no: Array<[string, string]> = [['room.*', 'room.**'], ['room.*', '**'], ['room.a', 'room.*'], ['a.*', '*.*'], ['a.**', '**'], ['*', '**'], ['a.*.c', 'a.**.c'], ['*.**', '**.**'], ['a', 'a.*']];
  for (const [allowed, asked] of yes) t.true(patternCovers(allowed, asked), `${allowed} covers ${asked}`);
  for (const [allowed, asked] of no) t.false(patternCovers(allowed, asked), `${allowed} does not cover ${asked}`);
});

test('jwks as a URL: keys fetched from it verify; a key set that cannot be fetched is the server’s fault (500), not a 401', async (t) => {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' }] };
  let broken = false;
  const keys = http.createServer((_req, res) => {
    if (broken) res.writeHead(500).end('down');
    else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks));
  });
  await new Promise<void>((resolve) => keys.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => keys.close(() => resolve())));
  const keysUrl = `http://127.0.0.1:${(keys.address() as AddressInfo).port}/jwks.json`;
  const signed = await new SignJWT({ sse: { subscribe: ['**'] } }).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setSubject('u1').setExpirationTime('1h').sign(privateKey);
  const good = await serve(t, { jwks: keysUrl });
  const client = await SseClient.connect(`${good.url}/?topics=room.a`, cookie(signed));
  t.is(client.status, 200);
  client.close();
  broken = true;
  const down = await serve(t, { jwks: new URL(keysUrl) });
  const answer = await get(`${down.url}/?topics=room.a`, { ...cookie(signed), accept: 'text/event-stream' });
  t.deepEqual([answer.status, answer.body], [500, 'Internal Server Error']);
  t.false(down.errors[0] instanceof InvalidTokenError);
});

test('composed with your own rules: call it inside your authorize and return its grant (or false: 403)', async (t) => {
  const system = createSystem({ topics: ['room.a'], keepAlive: 0 });
  const jwt = jwtAuthorize({ key: SECRET });
  const banned = new Set(['mallory']);
  const app = new Koa();
  app.silent = true;
  app.use(sse(system, { authorize: async (ctx, topics) => {
    const grant = await jwt(ctx, topics);
    return banned.has(grant.user.id) ? false : grant;
  } }));
  app.use((ctx) => ctx.sse('room.a'));
  const server = http.createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(async () => {
    await system.stop({ timeoutMs: 1000 });
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const ada = await SseClient.connect(url, cookie(await token(['room.*'], { sub: 'ada' })));
  t.is(ada.status, 200);
  t.is((await get(url, { ...cookie(await token(['room.*'], { sub: 'mallory' })), accept: 'text/event-stream' })).status, 403);
  t.is((await get(url, { accept: 'text/event-stream' })).status, 401);
  await eventually(() => system.snapshot().connections[0]?.state === 'streaming', 5000, 'ada streaming');
  t.deepEqual(system.snapshot().connections.map((c) => c.user), [{ id: 'ada' }]);
  ada.close();
});

test('with the default algorithms (derived from a secret key): alg none and an RS/ES token are 401; HS384 with the secret streams', async (t) => {
  const { url } = await serve(t, { key: SECRET });
  const { privateKey } = await generateKeyPair('RS256');
  const none = `${b64({ alg: 'none' })}.${b64({ sub: 'u1', exp: now() + 3600, sse: { subscribe: ['**'] } })}.`;
  const rs = await new SignJWT({ sse: { subscribe: ['**'] } }).setProtectedHeader({ alg: 'RS256' }).setSubject('u1').setExpirationTime('1h').sign(privateKey);
  for (const bad of [none, rs]) t.is((await get(`${url}/?topics=room.a`, { ...bearer(bad), accept: 'text/event-stream' })).status, 401);
  const hs384 = await SseClient.connect(`${url}/?topics=room.a`, bearer(await token(['**'], {}, SECRET, 'HS384')));
  t.is(hs384.status, 200);
  hs384.close();
});

test('algorithmsOf: the algorithms each kind of key can check (so a token naming another alg is a 401, never a TypeError)', async (t) => {
  const { algorithmsOf } = await import('../../src/adapters/jwt-algorithms.ts');
  const { generateKeyPairSync, createSecretKey } = await import('node:crypto');
  t.deepEqual(algorithmsOf(SECRET), ['HS256', 'HS384', 'HS512']);
  t.deepEqual(algorithmsOf(createSecretKey(SECRET)), ['HS256', 'HS384', 'HS512']);
  t.deepEqual(algorithmsOf(generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey), ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512']);
  t.deepEqual(algorithmsOf(generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey), ['ES384']);
  t.deepEqual(algorithmsOf(generateKeyPairSync('ed25519').publicKey), ['EdDSA', 'Ed25519']);
  t.deepEqual(algorithmsOf((await generateKeyPair('ES256')).publicKey), ['ES256']);
  t.deepEqual(algorithmsOf((await generateKeyPair('PS384')).publicKey), ['PS384']);
  t.deepEqual(algorithmsOf((await generateKeyPair('RS512')).publicKey), ['RS512']);
  t.deepEqual(algorithmsOf({ kty: 'EC', crv: 'P-521', x: '', y: '' }), ['ES512']);
  t.deepEqual(algorithmsOf({ kty: 'RSA', alg: 'PS256', n: '', e: '' }), ['PS256']);
  t.deepEqual(algorithmsOf({ kty: 'oct', k: '' }), ['HS256', 'HS384', 'HS512']);
  t.is(algorithmsOf({ kty: 'EC', crv: 'secp256k1' }), undefined);
});
