import test from 'ava';
import { createSystem, encodeChunk, validateChunk, type Chunk } from '../../src/index.ts';
import { RawClient, plainServer } from './raw.ts';

// Item 10: each field is read once; what was checked is what is encoded.

/** A chunk whose getters answer a safe value first and an injection on every later read. */
function shifty(): { chunk: Chunk; reads: Record<string, number> } {
  const reads: Record<string, number> = { data: 0, event: 0, id: 0 };
  const chunk = {
    get data() {
      reads.data = (reads.data ?? 0) + 1;
      return reads.data === 1 ? 'fine' : 'x\n\nevent: injected\ndata: pwned';
    },
    get event() {
      reads.event = (reads.event ?? 0) + 1;
      return reads.event === 1 ? 'update' : 'update\ndata: pwned';
    },
    get id() {
      reads.id = (reads.id ?? 0) + 1;
      if (reads.id > 1) throw new Error('read twice');
      return 'k1';
    },
  } as unknown as Chunk;
  return { chunk, reads };
}

test('notify and the initial chunk encode the validated copy: no injected line, no throw, each getter read once', async (t) => {
  const system = createSystem({ topics: ['a'], keepAlive: 0 });
  const srv = await plainServer(system);
  const initial = shifty();
  srv.server.removeAllListeners('request');
  srv.server.on('request', (req, res) => system.stream(req, res, 'a', initial.chunk));
  const client = new RawClient(srv.port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  await client.until((c) => c.text.includes('data: fine'), 5000, 'the initial chunk');
  t.deepEqual(initial.reads, { data: 1, event: 1, id: 1 });
  const live = shifty();
  t.notThrows(() => system.notify({ id: 1, topic: 'a', data: live.chunk }));
  t.deepEqual(live.reads, { data: 1, event: 1, id: 1 });
  await client.until((c) => (c.body.match(/data: fine/g) ?? []).length === 2, 5000, 'the event');
  t.false(client.text.includes('injected'));
  t.false(client.text.includes('pwned'));
  t.is((client.body.match(/event: update\n/g) ?? []).length, 2);
  await srv.close();
});

test('validateChunk returns a plain copy; encodeChunk encodes what it checked', (t) => {
  const { chunk } = shifty();
  const copy = validateChunk(chunk);
  t.deepEqual(copy, { data: 'fine', event: 'update', id: 'k1' });
  t.is(encodeChunk(shifty().chunk), 'id: k1\nevent: update\ndata: fine\n\n');
  const lines = ['a', 'b'];
  const arrayCopy = validateChunk({ data: lines });
  t.not(arrayCopy.data, lines); // an array is copied too: later pushes do not reach the wire
  lines.push('c\n\nevent: x');
  t.deepEqual(arrayCopy.data, ['a', 'b']);
});
