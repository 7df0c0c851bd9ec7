import test from 'ava';
import { createSystem } from '../../src/index.ts';
import { eventually } from '../helpers/sse-client.ts';
import { RawClient, plainServer, koaServer, watchProcess } from './raw.ts';

// Item 1: a request target `new URL` refuses must neither throw after the head was written (the
// plain server's process exited) nor leave an untracked socket (through Koa).

const RESET = 'event: sse-reset\ndata: {"reason":"unknown-id","lastEventId":"1","message":"this id was never notified on these topics: refetch the full state"}\n\n';

test('plain node:http: `GET //x:99999/?lastEventId=1` streams (the query is read), is counted, and stop() ends it', async (t) => {
  const watch = watchProcess();
  t.teardown(watch.stop);
  const system = createSystem({ topics: ['a'], keepAlive: 0 });
  const srv = await plainServer(system);
  const client = new RawClient(srv.port, 'GET //x:99999/?lastEventId=1 HTTP/1.1\r\nHost: x\r\n\r\n');
  await client.until((c) => c.body.includes('sse-reset'), 5000, 'the reset frame');
  t.is(client.status, 200);
  t.true(client.body.includes(RESET), client.body);
  await eventually(() => system.snapshot().connections.length === 1, 5000, 'the stream to be counted');
  system.notify({ id: 'e1', topic: 'a', data: { data: 'after' } });
  await client.until((c) => c.body.includes('id: e1\ndata: after\n\n'), 5000, 'the event');
  await srv.close(); // system.stop() then server.close(): both complete
  await client.untilClosed(5000);
  t.deepEqual(watch.seen, []);
});

test('plain node:http: an absolute-form target with a bad port streams too', async (t) => {
  const system = createSystem({ topics: ['a'], keepAlive: 0 });
  const srv = await plainServer(system);
  const client = new RawClient(srv.port, 'GET http://x:99999/?lastEventId=1 HTTP/1.1\r\nHost: x\r\n\r\n');
  await client.until((c) => c.body.includes('sse-reset'), 5000, 'the reset frame');
  t.is(client.status, 200);
  t.is(system.snapshot().connections.length, 1);
  await srv.close();
  await client.untilClosed(5000);
});

test('Koa: `GET http://x:99999/events?lastEventId=1` is a tracked 200 stream, ended by stop(); server.close() completes', async (t) => {
  const watch = watchProcess();
  t.teardown(watch.stop);
  const system = createSystem({ topics: ['a'], keepAlive: 0, maxConnections: 1 });
  const srv = await koaServer(system);
  const client = new RawClient(srv.port, 'GET http://x:99999/events?lastEventId=1 HTTP/1.1\r\nHost: x\r\n\r\n');
  await client.until((c) => c.body.includes('sse-reset'), 5000, 'the reset frame');
  t.is(client.status, 200);
  await eventually(() => system.snapshot().connections.length === 1, 5000, 'the stream to be counted');
  // It counts against maxConnections: the next one is refused.
  const second = new RawClient(srv.port, 'GET /events HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  await second.untilClosed(5000);
  t.is(second.status, 503);
  await srv.close();
  await client.untilClosed(5000);
  t.deepEqual(srv.outcomes.map((o) => Object.keys(o)[0]), ['resolved']); // the 503 was thrown synchronously, for Koa to answer
  t.deepEqual(watch.seen, []);
});

test('malformed percent-encoding and odd targets never throw: the stream opens without an id', async (t) => {
  const system = createSystem({ topics: ['a'], keepAlive: 0 });
  const srv = await plainServer(system);
  const targets = ['/?lastEventId=%E0%A4%A', '/?lastEventId=%', '//?lastEventId=', '/#?lastEventId=1', '*', 'http://[::1/?lastEventId=2'];
  const clients = targets.map((target) => new RawClient(srv.port, `GET ${target} HTTP/1.1\r\nHost: x\r\n\r\n`));
  await Promise.all(clients.map((c) => c.until((x) => x.status !== 0 || x.closed, 5000, 'an answer')));
  for (const [i, c] of clients.entries()) t.true(c.status === 200 || (c.status >= 400 && c.status < 500) || c.closed, `${targets[i]}: ${c.text}`);
  await eventually(() => system.snapshot().connections.length === clients.filter((c) => c.status === 200).length, 5000, 'every 200 to be counted');
  await srv.close();
  await Promise.all(clients.map((c) => c.untilClosed(5000)));
});
