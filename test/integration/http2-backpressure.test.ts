import test from 'ava';
import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { createSystem, type SseSystem } from '../../src/index.ts';
import { eventually } from '../helpers/sse-client.ts';
import { h2Session } from '../helpers/h2.ts';

// Finding 4 of issue 17: on HTTP/2 a stream's write() returns false as soon as one turn's burst is
// queued (nghttp2 sends it on a later tick), before any flow-control window is full. The mailbox
// bound must measure how far behind the client really is, on HTTP/2 as on HTTP/1.1.

const BURSTS = 20;
const PER_BURST = 100;
const PAYLOAD = 'x'.repeat(180); // ~200 bytes a frame: one burst is ~20 KB, over the 16 KB high-water mark

/** Notifies BURSTS × PER_BURST events, a setImmediate between bursts. */
async function bursts(system: SseSystem): Promise<void> {
  let id = 0;
  for (let b = 0; b < BURSTS; b++) {
    for (let i = 0; i < PER_BURST; i++) system.notify({ id: ++id, topic: 't', data: { data: PAYLOAD } });
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const ids = (raw: string) => (raw.match(/^id: \d+$/gm) ?? []).length;

async function fastClient(kind: 'h1' | 'h2'): Promise<{ received: number; counters: Record<string, number>; ended: boolean }> {
  const system = createSystem({ topics: ['t'], keepAlive: 0, mailbox: { limit: 64, overflow: 'close' }, history: { size: 0 } });
  const handler = (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => void system.stream(req, res, 't');
  const server = kind === 'h2' ? http2.createServer(handler) : http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let raw = '';
  let ended = false;
  let close: () => void;
  if (kind === 'h2') {
    const session = http2.connect(origin);
    const stream = session.request({ ':path': '/', accept: 'text/event-stream' });
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => (raw += chunk));
    stream.on('end', () => (ended = true));
    close = () => session.destroy();
  } else {
    const req = http.get(origin, { headers: { accept: 'text/event-stream' }, agent: false }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (raw += chunk));
      res.on('end', () => (ended = true));
    });
    close = () => req.destroy();
  }
  try {
    await eventually(() => system.snapshot().connections[0]?.state === 'streaming', 5000, 'the stream');
    await bursts(system);
    await eventually(() => ended || ids(raw) === BURSTS * PER_BURST, 10_000, 'every event, or the end');
    return { received: ids(raw), counters: { ...system.snapshot().counters }, ended };
  } finally {
    close();
    await system.stop({ timeoutMs: 500 });
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

for (const kind of ['h1', 'h2'] as const) {
  test(`${kind}: a client that reads everything gets all ${BURSTS * PER_BURST} events of bursts of ${PER_BURST} with mailbox { limit: 64, overflow: 'close' }`, async (t) => {
    const { received, counters, ended } = await fastClient(kind);
    t.is(received, BURSTS * PER_BURST);
    t.false(ended);
    t.is(counters.overflowClosed, 0);
  });
}

test('h2: a client that stops reading fills its flow-control window, then the mailbox policy applies (drop-newest counts drops)', async (t) => {
  const system = createSystem({ topics: ['t'], keepAlive: 0, mailbox: { limit: 64, overflow: 'drop-newest' }, history: { size: 0 } });
  const session = await h2Session(t, system, http2.createServer((req, res) => void system.stream(req, res, 't')));
  const stream = session.request({ ':path': '/', accept: 'text/event-stream' });
  stream.pause(); // never reads: the stream's window (64 KB) fills, then the server's buffer
  await eventually(() => system.snapshot().connections[0]?.state === 'streaming', 5000, 'the stream');
  await bursts(system);
  await eventually(() => system.snapshot().connections[0]?.state === 'blocked', 5000, 'the stream to be blocked');
  const [connection] = system.snapshot().connections;
  t.true((connection?.dropped ?? 0) > 0);
  t.true((connection?.mailbox ?? 0) <= 64);
});
