import test from 'ava';
import { createSystem, InvalidChunkError } from '../../src/index.ts';
import { lastEventIdOf, type SseRequest } from '../../src/adapters/node-http.ts';
import { RawClient, plainServer } from './raw.ts';

// Item 8: browsers send Last-Event-ID as UTF-8 bytes; node hands them over as latin1. Ids that
// cannot come back through a header are refused by notify.

test('Last-Event-ID `é-3` sent as raw UTF-8 bytes replays what followed it', async (t) => {
  const system = createSystem({ topics: ['a'], keepAlive: 0 });
  for (const n of [1, 2, 3, 4, 5]) system.notify({ id: `é-${n}`, topic: 'a', data: { data: `v${n}` } });
  const srv = await plainServer(system);
  const request = Buffer.concat([Buffer.from('GET / HTTP/1.1\r\nHost: x\r\nLast-Event-ID: '), Buffer.from('é-3', 'utf8'), Buffer.from('\r\n\r\n')]);
  const client = new RawClient(srv.port, request);
  await client.until((c) => c.text.includes('data: v5'), 5000, 'the replay');
  t.is(client.status, 200);
  t.false(client.text.includes('sse-reset'));
  t.false(client.text.includes('data: v3'));
  t.true(client.text.includes('id: é-4\ndata: v4\n\n'));
  t.true(client.text.includes('id: é-5\ndata: v5\n\n'));
  t.is(system.snapshot().events.replayed, 2);
  await srv.close();
});

test('lastEventIdOf decodes a latin1-read header as UTF-8; ASCII is left as is', (t) => {
  const asNodeReadsIt = Buffer.from('é-3', 'utf8').toString('latin1');
  t.is(lastEventIdOf({ rawHeaders: ['Last-Event-ID', asNodeReadsIt], headers: {}, url: '/' } as unknown as SseRequest), 'é-3');
  t.is(lastEventIdOf({ headers: { 'last-event-id': asNodeReadsIt }, url: '/' } as unknown as SseRequest), 'é-3');
  t.is(lastEventIdOf({ rawHeaders: ['Last-Event-ID', 'abc-1'], headers: {}, url: '/' } as unknown as SseRequest), 'abc-1');
  t.is(lastEventIdOf({ rawHeaders: [], headers: {}, url: '/?lastEventId=%C3%A9-3' } as unknown as SseRequest), 'é-3');
});

for (const [name, event] of [
  ['a leading space', { id: ' 1', topic: 'a', data: { data: 'x' } }],
  ['a trailing tab', { id: '1\t', topic: 'a', data: { data: 'x' } }],
  ['a lone high surrogate', { id: 'a\uD800', topic: 'a', data: { data: 'x' } }],
  ['a lone low surrogate', { id: '\uDC00b', topic: 'a', data: { data: 'x' } }],
  ['a chunk id with a trailing space', { id: 1, topic: 'a', data: { data: 'x', id: 'k ' } }],
] as const) {
  test(`notify refuses a wire id with ${name} (it could not come back as Last-Event-ID)`, (t) => {
    const system = createSystem({ topics: ['a'], keepAlive: 0 });
    t.throws(() => system.notify(event), { instanceOf: InvalidChunkError });
    t.is(system.snapshot().events.notified, 0);
    void system.stop();
  });
}

test('notify accepts ids with inner spaces, astral characters and numbers', (t) => {
  const system = createSystem({ topics: ['a'], keepAlive: 0 });
  for (const id of ['a b', '😀-1', 7, 'é']) system.notify({ id, topic: 'a', data: { data: 'x' } });
  t.is(system.snapshot().events.notified, 4);
  void system.stop();
});
