/**
 * What `X-Accel-Buffering: no` buys behind nginx: a client that stops reading pushes back through
 * the proxy to sse-actors (the connection blocks and its bounded mailbox applies its overflow
 * policy), instead of nginx soaking the stream up into its buffers and temp files. The contrast
 * location tells nginx to ignore the header (`proxy_ignore_headers X-Accel-Buffering`), as for
 * an SSE server that does not send it. Bounded: at most 48 MB per stream.
 */
import net from 'node:net';
import test from 'ava';
import { createSystem, type ConnectionSnapshot, type SseSystem } from '../../src/index.ts';
import { startNginx, type Nginx } from '../helpers/nginx.ts';
import { eventually, startServer, type TestServer } from '../helpers/sse-client.ts';

const EVENT = 'x'.repeat(64 * 1024);
const BATCH = 8; // events per step: 512 KB
const MAX_BYTES = 48 * 1024 * 1024;

let nginx: Nginx;
let system: SseSystem;
let server: TestServer;

test.before(async () => {
  system = createSystem({ topics: ['honoured', 'ignored'], keepAlive: 0, history: { size: 4, ttlMs: 60_000 }, mailbox: { limit: 8, overflow: 'drop-oldest' } });
  server = await startServer(system);
  nginx = await startNginx([
    { prefix: '/', upstream: `${server.url}/` },
    { prefix: '/ignoring/', upstream: `${server.url}/`, extra: 'proxy_ignore_headers X-Accel-Buffering;' },
  ]);
});

test.after.always(async () => {
  await nginx?.stop();
  await server?.close();
});

/** A client that reads the response head and the initial chunk, then stops reading (the socket stays open). */
async function stalledClient(path: string): Promise<net.Socket> {
  const { port } = new URL(nginx.url);
  const socket = net.connect(Number(port), '127.0.0.1');
  socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n`);
  let head = '';
  await new Promise<void>((resolve, reject) => {
    socket.on('data', function read(piece: Buffer) {
      head += piece.toString('latin1');
      if (!head.includes('data: ready')) return;
      socket.off('data', read);
      socket.pause();
      resolve();
    });
    socket.once('error', reject);
  });
  return socket;
}

const connection = (topic: string): ConnectionSnapshot | undefined => system.snapshot().connections.find((c) => c.topics[0] === topic);

/** Notifies 512 KB at a time until the connection blocks or `limit` bytes went out; waits for each step to settle. */
async function push(topic: string, limit: number): Promise<{ bytes: number; blocked: boolean }> {
  let bytes = 0;
  let n = 0;
  while (bytes < limit) {
    for (let i = 0; i < BATCH; i++) system.notify({ id: `${topic}-${++n}`, topic, data: { data: EVENT } });
    bytes += BATCH * EVENT.length;
    // Settled: everything written, or the socket refused more.
    await eventually(() => {
      const c = connection(topic);
      return c !== undefined && (c.state === 'blocked' || c.mailbox === 0);
    }, 10_000, `${topic} to drain or block`);
    if (connection(topic)?.state === 'blocked') return { bytes, blocked: true };
  }
  return { bytes, blocked: false };
}

test.serial('with X-Accel-Buffering: no a stalled client blocks the stream at sse-actors; with the header ignored nginx soaks it up', async (t) => {
  const honoured = await stalledClient('/stream?topics=honoured&initial=ready');
  t.teardown(() => honoured.destroy());
  const first = await push('honoured', MAX_BYTES);
  t.true(first.blocked, `blocked after ${first.bytes} bytes`);

  const ignored = await stalledClient('/ignoring/stream?topics=ignored&initial=ready');
  t.teardown(() => ignored.destroy());
  // Three times what blocked the honoured stream (within the bound): nginx reads it all anyway.
  const second = await push('ignored', Math.min(3 * first.bytes, MAX_BYTES));
  const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
  t.log(`header honoured: blocked after ${mb(first.bytes)} MB; header ignored: ${mb(second.bytes)} MB written without blocking`);
  t.false(second.blocked);
  t.like(connection('ignored'), { state: 'streaming', mailbox: 0, dropped: 0, delivered: second.bytes / EVENT.length });
  t.regex(await nginx.errorLog(), /upstream response is buffered to a temporary file/);
});
