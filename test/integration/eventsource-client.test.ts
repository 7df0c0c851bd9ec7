/**
 * The `eventsource` npm package (v4, WHATWG EventSource over fetch) as the client: when the server
 * drops the stream, it reconnects by itself after the `retry:` delay the stream sent, with the
 * `Last-Event-ID` header, and gets exactly what it missed (replayed), then live events.
 */
import test from 'ava';
import { EventSource } from 'eventsource';
import { createSystem } from '../../src/index.ts';
import { startServer, eventually } from '../helpers/sse-client.ts';

test('eventsource reconnects by itself with Last-Event-ID and gets exactly the missed events, then live ones', async (t) => {
  const system = createSystem({ topics: ['news'], keepAlive: 0, retry: 50, history: { size: 100, ttlMs: 60_000 } });
  /** Every /stream request that reached the server, recorded before `ctx.sse`. */
  const requests: Array<{ lastEventId: string | string[] | undefined }> = [];
  let releaseSecond!: () => void;
  const secondMayProceed = new Promise<void>((resolve) => (releaseSecond = resolve));
  const srv = await startServer(system, (app) => {
    app.use(async (ctx, next) => {
      if (ctx.path === '/stream') {
        requests.push({ lastEventId: ctx.headers['last-event-id'] });
        // Hold the reconnect until the events it must replay were notified: they are notified
        // while the client is away, deterministically, whatever its reconnect timing.
        if (requests.length === 2) await secondMayProceed;
      }
      await next();
    });
  });
  t.teardown(async () => {
    releaseSecond();
    await srv.close();
  });

  const es = new EventSource(`${srv.url}/stream?topics=news&initial=hello`);
  t.teardown(() => es.close());
  const received: Array<{ lastEventId: string; data: string }> = [];
  const lifecycle: string[] = [];
  es.onmessage = (event) => received.push({ lastEventId: event.lastEventId, data: event.data });
  es.onopen = () => lifecycle.push('open');
  es.onerror = () => lifecycle.push(`error:${es.readyState}`);

  await eventually(() => lifecycle.length === 1 && system.snapshot().connections.length === 1, 5000, 'the first stream to open');
  for (let n = 1; n <= 3; n++) system.notify({ id: String(n), topic: 'news', data: { data: `event ${n}` } });
  await eventually(() => received.length === 4, 5000, 'the initial chunk and 3 events');

  // The server ends the stream: the client is on its own to come back.
  srv.server.closeAllConnections();
  // Well under the 3 s the client would wait without the stream's `retry: 50`.
  await eventually(() => system.snapshot().connections.length === 0 && requests.length === 2, 2000, 'the stream to drop and the client to reconnect after retry: 50');
  for (let n = 4; n <= 8; n++) system.notify({ id: String(n), topic: 'news', data: { data: `event ${n}` } });
  releaseSecond();
  await eventually(() => received.length === 10, 5000, 'the initial chunk again and the 5 missed events');
  for (let n = 9; n <= 10; n++) system.notify({ id: String(n), topic: 'news', data: { data: `event ${n}` } });
  await eventually(() => received.length === 12, 5000, '2 live events');

  // eventsource v4 gives an event without an id field `lastEventId: ''` (the initial chunk).
  t.deepEqual(received, [
    { lastEventId: '', data: 'hello' },
    { lastEventId: '1', data: 'event 1' },
    { lastEventId: '2', data: 'event 2' },
    { lastEventId: '3', data: 'event 3' },
    { lastEventId: '', data: 'hello' },
    { lastEventId: '4', data: 'event 4' },
    { lastEventId: '5', data: 'event 5' },
    { lastEventId: '6', data: 'event 6' },
    { lastEventId: '7', data: 'event 7' },
    { lastEventId: '8', data: 'event 8' },
    { lastEventId: '9', data: 'event 9' },
    { lastEventId: '10', data: 'event 10' },
  ]);
  t.deepEqual(requests, [{ lastEventId: undefined }, { lastEventId: '3' }]);
  t.deepEqual(lifecycle, ['open', `error:${EventSource.CONNECTING}`, 'open']);
  await eventually(() => system.snapshot().connections[0]?.lastEventId === '10', 5000, 'the server cursor at 10');
  t.like(system.snapshot().connections, [{ state: 'streaming', topics: ['news'], mailbox: 0, delivered: 7, lastEventId: '10' }]);

  es.close();
  await eventually(() => system.snapshot().connections.length === 0, 5000, 'the server to drop the closed EventSource');
  t.is(es.readyState, EventSource.CLOSED);
  t.is(requests.length, 2);
});
