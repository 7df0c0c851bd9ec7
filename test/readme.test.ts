import test from 'ava';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type Koa from 'koa';
import { encodeChunk } from '../src/index.ts';
import { SseClient, eventually, get } from './helpers/sse-client.ts';
import { deleteKeys } from './helpers/redis-keys.ts';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

test('every README snippet marked with <!-- snippet: FILE --> is that file, verbatim (so it compiles and runs)', (t) => {
  const marked = [...readme.matchAll(/<!-- snippet: (\S+) -->\n```ts\n([\s\S]*?)```/g)];
  t.deepEqual(marked.map((m) => m[1]), ['examples/readme/plain-koa.ts', 'examples/readme/router.ts', 'examples/readme/hono.ts', 'examples/readme/per-user.ts', 'examples/readme/presence.ts', 'examples/readme/auth.ts', 'examples/readme/production.ts', 'examples/cluster/server.ts', 'examples/readme/several-nodes.ts', 'examples/readme/observe.ts']);
  for (const [, file, code] of marked) {
    t.is(code, readFileSync(new URL(`../${file}`, import.meta.url), 'utf8'), `${file} differs from its README copy`);
  }
});

test('the README Chunk example prints what encodeChunk returns', (t) => {
  const out = encodeChunk({ data: 'line 1\nline 2', event: 'rates', id: 7, comment: 'hi' });
  t.true(readme.includes(`// '${out.replaceAll('\n', '\\n')}'`));
});

async function listen(app: Koa): Promise<{ url: string; server: http.Server }> {
  const server = http.createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

test('README plain Koa usage streams the current rates, then updates', async (t) => {
  const { app, system, updateRates } = await import('../examples/readme/plain-koa.ts');
  const { url, server } = await listen(app);
  t.teardown(async () => {
    await system.stop();
    server.close();
  });
  const client = await SseClient.connect(`${url}/exchange_rates/usd_eur`);
  t.is(client.res.headers['access-control-allow-origin'], '*');
  await client.untilEvents(1);
  await eventually(() => system.snapshot().connections[0]?.state === 'streaming', 5000, 'the connection to stream');
  updateRates({ USD: 1, EUR: 0.93 });
  await client.untilEvents(2);
  t.deepEqual(client.events.map((f) => JSON.parse(f.data.join('\n'))), [{ rates: { USD: 1, EUR: 0.92 } }, { rates: { USD: 1, EUR: 0.93 } }]);
  t.regex(client.events[1]?.id ?? '', /^[0-9a-f-]{36}$/);
  client.close();
});

test('README Fetch usage: Hono on @hono/node-server streams the start and live events; another path is Hono’s 404', async (t) => {
  const { app, system } = await import('../examples/readme/hono.ts');
  const { serve } = await import('@hono/node-server');
  const server = await new Promise<http.Server>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s as http.Server));
  });
  t.teardown(async () => {
    await system.stop();
    server.close();
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = await SseClient.connect(`${url}/ticks`);
  t.is(client.res.headers['access-control-allow-origin'], '*');
  await client.untilEvents(1);
  system.notify({ id: 1, topic: 'ticks', data: { data: 'tick 1' } });
  await client.untilEvents(2);
  t.deepEqual(client.events.map((e) => [e.id, e.data.join('\n')]), [[undefined, 'hello'], ['1', 'tick 1']]);
  const bad = await get(`${url}/nope`);
  t.is(bad.status, 404);
  client.close();
  await eventually(() => system.snapshot().connections.length === 0, 5000, 'released');
});

test('README presence: two tabs of one user are one entry and one join; signOut ends both with sse-close and one leave', async (t) => {
  const { app, system, signOut } = await import('../examples/readme/presence.ts');
  const { url, server } = await listen(app);
  t.teardown(async () => {
    await system.stop();
    server.close();
  });
  const as = (id: string, name: string) => ({ 'x-user-id': id, 'x-user-name': name });
  const bob = await SseClient.connect(`${url}/?room=lobby`, as('bob', 'Bob'));
  await eventually(() => system.snapshot().connections.length === 1, 5000, 'bob streaming');
  const tabs = [await SseClient.connect(`${url}/?room=lobby`, as('alice', 'Alice')), await SseClient.connect(`${url}/?room=lobby`, as('alice', 'Alice'))];
  await eventually(() => system.snapshot().connections.length === 3, 5000, 'three streams');
  const who = await get(`${url}/who?room=lobby`);
  t.deepEqual(JSON.parse(who.body), [{ id: 'alice', info: { name: 'Alice' }, connections: 2 }, { id: 'bob', info: { name: 'Bob' }, connections: 1 }]);
  await bob.untilEvents(2);
  t.is(await signOut('alice'), 2);
  await Promise.all(tabs.map((tab) => tab.untilEnded()));
  for (const tab of tabs) t.deepEqual(tab.frames.at(-2), { comments: [], event: 'sse-close', data: ['{"reason":"disconnected"}'] });
  await bob.untilEvents(3);
  t.deepEqual(bob.events.map((e) => [e.event, e.data.join('\n')]), [
    ['presence', '{"type":"join","id":"bob","info":{"name":"Bob"}}'],
    ['presence', '{"type":"join","id":"alice","info":{"name":"Alice"}}'],
    ['presence', '{"type":"leave","id":"alice","info":{"name":"Alice"}}'],
  ]);
  t.deepEqual(bob.events.map((e) => e.id), [0, 1, 2].map((n) => `presence-${system.node}-${n}`));
  t.deepEqual(await system.occupancy('room.lobby'), { users: 1, connections: 1 });
  bob.close();
});

test('README per-user notifications: one\'s own topic streams, another user\'s or the family answers 403, topics counted per family', async (t) => {
  const { app, system, notifyUser } = await import('../examples/readme/per-user.ts');
  const { url, server } = await listen(app);
  t.teardown(async () => {
    await system.stop();
    server.close();
  });
  const alice = await SseClient.connect(url, { 'x-user-id': 'alice' });
  t.is(alice.status, 200);
  t.is((await get(`${url}/?user=bob`, { 'x-user-id': 'alice' })).status, 403);
  t.is((await get(`${url}/?user=${encodeURIComponent('*')}`, { 'x-user-id': 'alice' })).status, 403);
  await eventually(() => system.snapshot().connections[0]?.state === 'streaming', 5000, 'alice streaming');
  notifyUser('alice', 'a1', 'hello alice');
  notifyUser('bob', 'b1', 'hello bob');
  await alice.untilEvents(1);
  t.is(alice.raw, 'id: a1\ndata: hello alice\n\n');
  t.deepEqual(system.snapshot().topicCount, { live: 3, max: 100_000, families: { 'user.*': 2 } });
  alice.close();
});

test('README auth: /sse-token sets an HttpOnly cookie whose JWT streams its rooms; another room is 403, no token 401, the user is sub', async (t) => {
  const { app, system, issueToken } = await import('../examples/readme/auth.ts');
  const { url, server } = await listen(app);
  t.teardown(async () => {
    await system.stop();
    server.close();
  });
  const refreshed = await get(`${url}/sse-token`, { 'x-user-id': 'ada' });
  t.is(refreshed.status, 204);
  const setCookie = refreshed.headers['set-cookie']?.[0] ?? '';
  t.regex(setCookie, /^sse_token=[\w-]+\.[\w-]+\.[\w-]+; path=\/; expires=.+; samesite=strict; httponly$/);
  const cookie = setCookie.split(';')[0] as string;
  const lobby = await SseClient.connect(`${url}/?room=lobby,ada`, { cookie });
  t.is(lobby.status, 200);
  await eventually(() => system.snapshot().connections[0]?.state === 'streaming', 5000, 'streaming');
  t.deepEqual(system.snapshot().connections[0]?.user, { id: 'ada' });
  system.notify({ id: 'm1', topic: 'room.ada', data: { data: 'for ada' } });
  await lobby.untilEvents(1);
  t.is(lobby.raw, 'id: m1\ndata: for ada\n\n');
  const other = await get(`${url}/?room=bob`, { cookie, accept: 'text/event-stream' });
  t.deepEqual([other.status, other.body], [403, 'Forbidden']);
  const header = await SseClient.connect(`${url}/?room=bob`, { authorization: `Bearer ${await issueToken('bob', ['bob'])}` });
  t.is(header.status, 200);
  const none = await get(`${url}/?room=lobby`, { accept: 'text/event-stream' });
  t.deepEqual([none.status, none.body, none.headers['www-authenticate']], [401, 'Unauthorized', 'Bearer']);
  lobby.close();
  header.close();
});

test('README router usage: a registered pair streams, an unknown one answers 400', async (t) => {
  const { app, system } = await import('../examples/readme/router.ts');
  const { url, server } = await listen(app);
  t.teardown(async () => {
    await system.stop();
    server.close();
  });
  const client = await SseClient.connect(`${url}/exchange_rates/usd_gbp`);
  await client.untilEvents(1);
  t.is(client.raw, 'data: {"pair":"usd_gbp"}\n\n');
  client.close();
  const bad = await SseClient.connect(`${url}/exchange_rates/btc_usd`);
  t.is(bad.status, 400);
  await bad.untilEnded();
  t.is(bad.raw, 'Unknown SSE topic "btc_usd_pair_updated": register it in createSystem({ topics })');
});

test('README production setup: authorize by region, 204 to stop reconnecting, a health probe, graceful shutdown', async (t) => {
  const { server, system, shutdown } = await import('../examples/readme/production.ts');
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const eu = await SseClient.connect(`${url}/?topics=orders.eu`, { 'x-region': 'eu' });
  t.is(eu.status, 200);
  const wrongRegion = await SseClient.connect(`${url}/?topics=orders.eu`, { 'x-region': 'us' });
  t.is(wrongRegion.status, 403);
  const allOrders = await SseClient.connect(`${url}/?topics=${encodeURIComponent('orders.*')}`, { 'x-region': 'eu' });
  t.is(allOrders.status, 403); // orders.* expands to orders.eu and orders.us
  const done = await SseClient.connect(`${url}/?unsubscribe=1`);
  t.is(done.status, 204);
  await eventually(() => system.snapshot().connections.length === 1);
  const health = await get(`${url}/healthz`);
  t.deepEqual(JSON.parse(health.body), { status: 'ok', streams: 1 });
  system.notify({ id: 1, topic: 'orders.eu', data: { data: 'order 1' } });
  await eu.untilEvents(1);
  await shutdown();
  await eu.untilEnded();
  // The example keeps the default 1 s keep-alive: on a busy machine one may land in between.
  t.regex(eu.raw.replaceAll(': keep-alive\n\n', ''), /^retry: 2000\n\nid: 1\ndata: order 1\n\nretry: \d+\n\n$/);
  t.is(system.snapshot().status, 'stopped');
});

test('README dashboard and metrics: the page for the admin token only, /metrics counts the stream', async (t) => {
  process.env.ADMIN_TOKEN = 'test-token';
  const { app, system } = await import('../examples/readme/observe.ts');
  const { url, server } = await listen(app);
  t.teardown(async () => {
    await system.stop();
    server.closeAllConnections();
    server.close();
  });
  const client = await SseClient.connect(`${url}/orders`);
  await eventually(() => system.snapshot().connections[0]?.state === 'streaming', 5000, 'the stream');
  t.is((await get(`${url}/_sse`)).status, 403);
  const page = await get(`${url}/_sse`, { authorization: 'Bearer test-token' });
  t.is(page.status, 200);
  t.regex(page.body, /<title>sse-actors dashboard<\/title>/);
  const scrape = await get(`${url}/metrics`);
  t.is(scrape.status, 200);
  t.regex(scrape.body, /^sse_connections\{state="streaming"\} 1$/m);
  client.close();
});

// Serial: ava runs it before the others, so loading node-redis does not slow their timing.
test.serial('README several nodes: a POST on one node reaches a stream on another, through the shared Redis', async (t) => {
  const prefix = `readme:${process.pid}:`;
  process.env.SSE_PREFIX = prefix;
  // Two instances of the example module in this process (a query makes a module a new instance): two nodes.
  const load = (name: string) => {
    process.env.NODE_NAME = name;
    return import(`../examples/readme/several-nodes.ts?node=${name}`) as Promise<typeof import('../examples/readme/several-nodes.ts')>;
  };
  const one = await load('node-1');
  const two = await load('node-2');
  for (const node of [one, two]) await new Promise<void>((resolve) => node.server.listen(0, '127.0.0.1', resolve));
  t.teardown(async () => {
    for (const node of [one, two]) {
      await node.system.stop({ timeoutMs: 500 });
      node.server.closeAllConnections();
      node.server.close();
    }
    await deleteKeys(6379, prefix);
  });
  const at = (node: typeof one) => `http://127.0.0.1:${(node.server.address() as AddressInfo).port}`;
  const client = await SseClient.connect(`${at(two)}/`);
  await eventually(() => two.system.snapshot().connections.length === 1, 5000, 'the stream on node-2');
  const posted = await new Promise<number>((resolve, reject) => {
    http.request(`${at(one)}/?order=42`, { method: 'POST', agent: false }, (res) => resolve(res.statusCode ?? 0)).on('error', reject).end();
  });
  t.is(posted, 202);
  await client.untilEvents(1);
  t.deepEqual(client.events[0]?.data, ['42']);
  t.like(two.system.snapshot(), { node: 'node-2', transport: { kind: 'redis', state: 'connected' } });
  t.is(one.system.snapshot().events.notified, 1);
  client.close();
});
