/**
 * sse-actors behind a real nginx (`proxy_pass`, HTTP/1.1 upstream, buffering on as by default,
 * `proxy_read_timeout 2s`). Fails with `apt-get install -y nginx` when nginx is missing.
 */
import test from 'ava';
import { createSystem, type SseSystem } from '../../src/index.ts';
import { startNginx, type Nginx } from '../helpers/nginx.ts';
import { eventually, SseClient, startServer, type TestServer } from '../helpers/sse-client.ts';

const KEEP_ALIVE = ': keep-alive\n\n';
const READ_TIMEOUT_MS = 2000;

let nginx: Nginx;
let live: { system: SseSystem; server: TestServer };
let quiet: { system: SseSystem; server: TestServer };

test.before(async () => {
  // keepAlive 500 ms, well inside the proxy's 2 s read timeout; the quiet system sends none.
  // Topic 'idle' is the keep-alive test's own, so the latency test's events do not reach it.
  const liveSystem = createSystem({ topics: ['t', 'idle'], keepAlive: 500 });
  live = {
    system: liveSystem,
    server: await startServer(liveSystem),
  };
  const quietSystem = createSystem({ topics: ['t'], keepAlive: 0 });
  quiet = { system: quietSystem, server: await startServer(quietSystem) };
  nginx = await startNginx(
    [
      { prefix: '/', upstream: `${live.server.url}/` },
      { prefix: '/quiet/', upstream: `${quiet.server.url}/` },
    ],
    `${READ_TIMEOUT_MS / 1000}s`,
  );
});

test.after.always(async () => {
  await nginx?.stop();
  await live?.server.close();
  await quiet?.server.close();
});

test('through nginx with buffering on, each event arrives within 100 ms of its notify (X-Accel-Buffering: no)', async (t) => {
  t.log(`nginx ${nginx.version}`);
  const client = await SseClient.connect(`${nginx.url}/stream?topics=t&initial=hello`);
  t.teardown(() => client.close());
  t.is(client.status, 200);
  t.is(client.res.headers['content-type'], 'text/event-stream; charset=utf-8');
  t.is(client.res.headers['x-accel-buffering'], undefined, 'nginx consumes the header');
  await client.untilEvents(1);
  await eventually(() => live.system.snapshot().topics[0]?.subscribers === 1, 5000, 'the proxied stream to subscribe');

  const latencies: number[] = [];
  for (let i = 1; i <= 10; i++) {
    const sent = performance.now();
    live.system.notify({ id: `e${i}`, topic: 't', data: { data: `event ${i}` } });
    await client.untilEvents(i + 1, 2000);
    latencies.push(performance.now() - sent);
  }
  t.log(`per-event latency through nginx (ms): ${latencies.map((ms) => ms.toFixed(1)).join(', ')}`);
  for (const [i, ms] of latencies.entries()) t.true(ms < 100, `event ${i + 1} took ${ms.toFixed(1)} ms`);
  t.deepEqual(
    client.events.map((e) => `${e.id ?? ''}:${e.data.join('\n')}`),
    ['hello', ...Array.from({ length: 10 }, (_, i) => `e${i + 1}:event ${i + 1}`)].map((s) => (s.includes(':') ? s : `:${s}`)),
  );
});

test('keep-alives keep an idle stream open past proxy_read_timeout; without them nginx cuts it', async (t) => {
  const started = performance.now();
  const kept = await SseClient.connect(`${nginx.url}/stream?topics=idle&initial=kept`);
  const cut = await SseClient.connect(`${nginx.url}/quiet/stream?topics=t&initial=cut`);
  t.teardown(() => {
    kept.close();
    cut.close();
  });
  await kept.untilEvents(1);
  await cut.untilEvents(1);

  // No keep-alive: nginx gives up on the silent upstream after proxy_read_timeout and ends the stream.
  await cut.untilEnded(READ_TIMEOUT_MS * 3);
  const cutAfter = performance.now() - started;
  t.true(cutAfter >= READ_TIMEOUT_MS - 50, `cut after ${cutAfter.toFixed(0)} ms`);
  await eventually(() => quiet.system.snapshot().connections.length === 0, 5000, 'the cut stream to be removed upstream');
  t.is(cut.raw, 'data: cut\n\n');

  // Keep-alive every 500 ms: wait for enough comments to cover twice the read timeout.
  const comments = () => kept.raw.split(KEEP_ALIVE).length - 1;
  await kept.until(() => comments() >= (2 * READ_TIMEOUT_MS) / 500 + 1, READ_TIMEOUT_MS * 4, 'keep-alive comments past 2× proxy_read_timeout');
  const idle = performance.now() - started;
  t.log(`idle ${idle.toFixed(0)} ms behind proxy_read_timeout ${READ_TIMEOUT_MS} ms: ${comments()} keep-alive comments; the quiet stream was cut after ${cutAfter.toFixed(0)} ms`);
  t.true(idle >= 2 * READ_TIMEOUT_MS);
  t.false(kept.ended);

  live.system.notify({ id: 'after-idle', topic: 'idle', data: { data: 'still here' } });
  await kept.until((c) => c.events.some((e) => e.id === 'after-idle'), 2000, 'the event after the idle period');
  t.deepEqual(
    kept.events.map((e) => e.data.join('\n')),
    ['kept', 'still here'],
  );
  t.is(kept.raw.replaceAll(KEEP_ALIVE, ''), 'data: kept\n\nid: after-idle\ndata: still here\n\n');
});
