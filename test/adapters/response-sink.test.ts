import test, { type ExecutionContext } from 'ava';
import http from 'node:http';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import tls from 'node:tls';
import { createSystem, sseResponseHeaders, type SseSystem } from '../../src/index.ts';
import { eventually } from '../helpers/sse-client.ts';
import { selfSigned } from '../helpers/tls.ts';

// ResponseSink on a real node:http server: after its first write, an HTTP/1.1 stream's frames go to
// the socket directly as ready-made chunks when that is exactly what res.write would do, and
// through res.write otherwise (HTTP/1.0, a wrapped res.write, a pipelined response still queued
// behind another). Whatever the path, the bytes on the wire must be those of res.write.
// Serial: the framing of the last event is kept module-wide, so tests running at once would
// interleave their writes and hide a framing reused for the wrong event.

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** `id: n\ndata: text\n\n`: what `system.notify({ id: n, topic: 't', data: { data: text } })` puts on the wire. */
const frame = (id: number, text: string) => `id: ${id}\ndata: ${text}\n\n`;
/** One HTTP/1.1 chunk of `text` (size in hex, counted in bytes). */
const chunk = (text: string) => `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n`;
const LAST_CHUNK = '0\r\n\r\n';
/** What `system.disconnect({ topic: 't', reconnect: false })` writes last. */
const CLOSE_FRAME = 'event: sse-close\ndata: {"reason":"disconnected"}\n\nretry: 2147483647\n\n';

/** A raw TCP client that keeps every byte it received. */
class RawClient {
  private readonly parts: Buffer[] = [];
  length = 0;
  closed = false;
  private constructor(readonly socket: net.Socket) {
    socket.on('data', (data: Buffer) => {
      this.parts.push(data);
      this.length += data.length;
    });
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => (this.closed = true));
  }

  /** Connects (over TLS with `secure`, trusting any certificate) and sends `request`. */
  static connect(t: ExecutionContext, port: number, request: string, secure = false): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const connected = () => {
        socket.off('error', reject);
        socket.write(request);
        resolve(client);
      };
      const socket = secure ? tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false }, connected) : net.connect(port, '127.0.0.1', connected);
      const client = new RawClient(socket);
      socket.once('error', reject);
      t.teardown(() => void socket.destroy());
    });
  }

  get bytes(): Buffer {
    if (this.parts.length > 1) this.parts.splice(0, this.parts.length, Buffer.concat(this.parts));
    return this.parts[0] ?? Buffer.alloc(0);
  }

  get text(): string {
    return this.bytes.toString('latin1');
  }
}

/** The response head (up to the first blank line) and the bytes after it. */
function splitHead(bytes: Buffer): { head: string; body: Buffer } | undefined {
  const end = bytes.indexOf('\r\n\r\n');
  if (end === -1) return undefined;
  return { head: bytes.subarray(0, end).toString('latin1'), body: bytes.subarray(end + 4) };
}

/** Decodes a chunked body from its start: the chunks' data, whether the last chunk came, and the bytes after it. */
function decodeChunked(bytes: Buffer): { chunks: Buffer[]; complete: boolean; rest: Buffer } {
  const chunks: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = bytes.indexOf('\r\n', at);
    if (eol === -1) return { chunks, complete: false, rest: bytes.subarray(at) };
    const sizeText = bytes.subarray(at, eol).toString('latin1');
    if (!/^[0-9a-f]+$/.test(sizeText)) throw new Error(`bad chunk size line ${JSON.stringify(sizeText)} at byte ${at}`);
    const size = parseInt(sizeText, 16);
    if (size === 0) {
      if (bytes.length < eol + 4) return { chunks, complete: false, rest: bytes.subarray(at) };
      if (bytes.subarray(eol, eol + 4).toString('latin1') !== '\r\n\r\n') throw new Error(`bad last chunk at byte ${at}`);
      return { chunks, complete: true, rest: bytes.subarray(eol + 4) };
    }
    if (bytes.length < eol + 2 + size + 2) return { chunks, complete: false, rest: bytes.subarray(at) };
    if (bytes.subarray(eol + 2 + size, eol + 4 + size).toString('latin1') !== '\r\n') throw new Error(`chunk of ${size} bytes at byte ${at} not followed by CRLF`);
    chunks.push(bytes.subarray(eol + 2, eol + 2 + size));
    at = eol + 4 + size;
  }
}

/** A decoder fed as data arrives (for large bodies): counts the decoded bytes, keeps them. */
class ChunkedStream {
  private pending: Buffer = Buffer.alloc(0);
  private inHead = true;
  head = '';
  readonly body: Buffer[] = [];
  bodyLength = 0;
  chunkCount = 0;
  complete = false;

  feed(data: Buffer): void {
    this.pending = this.pending.length === 0 ? data : Buffer.concat([this.pending, data]);
    if (this.inHead) {
      const split = splitHead(this.pending);
      if (!split) return;
      this.head = split.head;
      this.pending = split.body;
      this.inHead = false;
    }
    if (this.complete) return;
    const { chunks, complete, rest } = decodeChunked(this.pending);
    for (const c of chunks) {
      this.body.push(c);
      this.bodyLength += c.length;
    }
    this.chunkCount += chunks.length;
    this.complete = complete;
    this.pending = rest.length === 0 ? Buffer.alloc(0) : Buffer.from(rest); // copy: the rest must not pin the big buffer
  }
}

async function listen(t: ExecutionContext, system: SseSystem, handler: http.RequestListener): Promise<number> {
  const server = http.createServer(handler);
  t.teardown(async () => {
    await system.stop({ timeoutMs: 500 });
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

const REQUEST_11 = 'GET / HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n';

/** The client's body once the head came (for HTTP/1.1, still chunk-encoded). */
function bodyOf(client: RawClient): string {
  return splitHead(client.bytes)?.body.toString('latin1') ?? '';
}

/** Frames' wire text (UTF-8) as the latin1 view a raw body is compared in. */
const wire = (text: string) => Buffer.from(text, 'utf8').toString('latin1');

test.serial('HTTP/1.1: the initial chunk then each event as its own chunk, sizes in bytes, then the close frame and the last chunk', async (t) => {
  const system = createSystem({ topics: ['t'], keepAlive: 0, history: { size: 0 } });
  const port = await listen(t, system, (req, res) => void system.stream(req, res, 't', { data: 'hello' }));
  const client = await RawClient.connect(t, port, REQUEST_11);
  const initial = 'data: hello\n\n';
  let expected = chunk(initial);
  await eventually(() => bodyOf(client) === wire(expected), 5000, 'the head and the initial chunk');
  await eventually(() => system.snapshot().connections[0]?.state === 'streaming', 5000, 'the stream');

  const texts = ['one', 'é€😀', 'x'.repeat(300), 'three'];
  for (const [i, text] of texts.entries()) {
    system.notify({ id: i + 1, topic: 't', data: { data: text } });
    expected += chunk(frame(i + 1, text));
    await eventually(() => bodyOf(client).length >= wire(expected).length, 5000, `event ${i + 1}`);
    t.is(bodyOf(client), wire(expected), `the body after event ${i + 1}`);
  }
  t.is(await system.disconnect({ topic: 't', reconnect: false }), 1);
  expected += chunk(CLOSE_FRAME) + LAST_CHUNK;
  await eventually(() => bodyOf(client).length >= wire(expected).length, 5000, 'the end of the stream');

  const split = splitHead(client.bytes);
  t.truthy(split);
  const lines = split!.head.split('\r\n');
  t.is(lines[0], 'HTTP/1.1 200 OK');
  t.true(lines.includes('Transfer-Encoding: chunked'), split!.head);
  t.true(lines.includes('Content-Type: text/event-stream; charset=utf-8'), split!.head);
  t.false(lines.some((line) => /^content-length:/i.test(line)), split!.head);
  t.is(split!.body.toString('latin1'), wire(expected));
  // The multi-byte event: 'é€😀' is 9 bytes (2 + 3 + 4) in 5 UTF-16 units; its frame 'id: 2\ndata: é€😀\n\n' is 23 bytes = 0x17.
  t.true(split!.body.includes(Buffer.from(`17\r\nid: 2\ndata: é€😀\n\n\r\n`, 'utf8')));
  const decoded = decodeChunked(split!.body);
  t.true(decoded.complete);
  t.is(decoded.rest.length, 0);
  t.deepEqual(
    decoded.chunks.map((c) => c.toString('utf8')),
    [initial, ...texts.map((text, i) => frame(i + 1, text)), CLOSE_FRAME],
  );
});

test.serial('HTTP/1.1: three streams given the same events each get the same, correctly framed body', async (t) => {
  const system = createSystem({ topics: ['t'], keepAlive: 0, history: { size: 0 } });
  const port = await listen(t, system, (req, res) => void system.stream(req, res, 't', { data: 'hello' }));
  const clients = await Promise.all([0, 1, 2].map(() => RawClient.connect(t, port, REQUEST_11)));
  let expected = chunk('data: hello\n\n');
  await eventually(() => clients.every((c) => bodyOf(c) === wire(expected)), 5000, 'three heads and initial chunks');
  await eventually(() => system.snapshot().connections.filter((c) => c.state === 'streaming').length === 3, 5000, 'three streams');

  // Framing is kept for the last event written: each subscriber must still get its own full chunk,
  // and a new event must not get the previous event's framing, even one of the same length.
  const texts = ['same', 'diff', 'é€😀', 'ü€😀'];
  for (const [i, text] of texts.entries()) {
    system.notify({ id: i + 1, topic: 't', data: { data: text } });
    expected += chunk(frame(i + 1, text));
    await eventually(() => clients.every((c) => bodyOf(c).length >= wire(expected).length), 5000, `event ${i + 1} on all three`);
  }
  t.is(await system.disconnect({ topic: 't', reconnect: false }), 3);
  expected += chunk(CLOSE_FRAME) + LAST_CHUNK;
  await eventually(() => clients.every((c) => bodyOf(c).length >= wire(expected).length), 5000, 'the end of the three streams');
  for (const client of clients) {
    const split = splitHead(client.bytes);
    t.true(split!.head.split('\r\n').includes('Transfer-Encoding: chunked'), split!.head);
    t.is(split!.body.toString('latin1'), wire(expected));
  }
});

test.serial('HTTP/1.0: no chunking, the body is the frames as they are, then the connection closes', async (t) => {
  const system = createSystem({ topics: ['t'], keepAlive: 0, history: { size: 0 } });
  const port = await listen(t, system, (req, res) => void system.stream(req, res, 't', { data: 'hello' }));
  const client = await RawClient.connect(t, port, 'GET / HTTP/1.0\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n');
  let expected = 'data: hello\n\n';
  await eventually(() => bodyOf(client) === wire(expected), 5000, 'the head and the initial chunk');
  await eventually(() => system.snapshot().connections[0]?.state === 'streaming', 5000, 'the stream');

  const texts = ['one', 'é€😀', 'three'];
  for (const [i, text] of texts.entries()) {
    system.notify({ id: i + 1, topic: 't', data: { data: text } });
    expected += frame(i + 1, text);
    await eventually(() => bodyOf(client).length >= wire(expected).length, 5000, `event ${i + 1}`);
    t.is(bodyOf(client), wire(expected), `the body after event ${i + 1}`);
  }
  t.is(await system.disconnect({ topic: 't', reconnect: false }), 1);
  expected += CLOSE_FRAME;
  await eventually(() => client.closed, 5000, 'the connection to close');

  const split = splitHead(client.bytes);
  const lines = split!.head.split('\r\n');
  t.is(lines[0], 'HTTP/1.1 200 OK');
  t.false(lines.some((line) => /^transfer-encoding:/i.test(line)), split!.head);
  t.true(lines.includes('Connection: close'), split!.head);
  t.is(split!.body.toString('latin1'), wire(expected));
});

test.serial('HTTP/1.1 pipelining: a stream queued behind a response still open is written after it, whole and correctly framed', async (t) => {
  const system = createSystem({ topics: ['t'], keepAlive: 0, history: { size: 0 } });
  let slow: http.ServerResponse | undefined;
  let sseHandled = false;
  const port = await listen(t, system, (req, res) => {
    if (req.url === '/slow') {
      slow = res;
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.write('A');
      return;
    }
    sseHandled = true;
    system.stream(req, res, 't', { data: 'hello' });
  });
  const client = await RawClient.connect(
    t,
    port,
    'GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /sse HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n',
  );
  await eventually(() => slow !== undefined && sseHandled && system.snapshot().connections[0]?.state === 'streaming', 5000, 'both requests handled');
  await eventually(() => client.text.endsWith('\r\n\r\n1\r\nA\r\n'), 5000, "/slow's head and 'A'");

  for (let id = 1; id <= 3; id++) {
    system.notify({ id, topic: 't', data: { data: `e${id}` } });
    await eventually(() => system.snapshot().events.delivered === id && system.snapshot().connections[0]?.mailbox === 0, 5000, `event ${id} handed to the response`);
    await turn();
  }
  // A marker through /slow, after events 1..3 were written: TCP keeps order, so whatever had gone
  // to the socket before it would arrive before it.
  slow!.write('B');
  await eventually(() => client.text.endsWith('1\r\nB\r\n'), 5000, "/slow's 'B'");
  const slowHead = splitHead(client.bytes)!;
  t.is(slowHead.body.toString('latin1'), '1\r\nA\r\n1\r\nB\r\n', 'nothing of the stream before /slow ended');
  t.true(slowHead.head.startsWith('HTTP/1.1 200 OK\r\n'));
  t.false(client.text.includes('data:'));
  t.is(system.snapshot().connections[0]?.delivered, 0, 'no write of the stream confirmed while it waits behind /slow');

  slow!.end();
  const sseFrames = ['data: hello\n\n', frame(1, 'e1'), frame(2, 'e2'), frame(3, 'e3')].join('');
  await eventually(() => client.text.includes(frame(3, 'e3')), 5000, 'the stream after /slow ended');
  system.notify({ id: 4, topic: 't', data: { data: 'é€😀' } });
  await eventually(() => client.text.includes(wire(frame(4, 'é€😀'))), 5000, 'event 4');
  t.is(await system.disconnect({ topic: 't', reconnect: false }), 1);
  await eventually(() => client.text.endsWith(LAST_CHUNK) && client.text.includes('sse-close'), 5000, 'the end of the stream');

  // The wire: /slow whole (head, 'A', 'B', last chunk), then the stream's head, then its chunks.
  const first = splitHead(client.bytes)!;
  const slowBody = decodeChunked(first.body);
  t.true(slowBody.complete);
  t.deepEqual(slowBody.chunks.map((c) => c.toString('latin1')), ['A', 'B']);
  const second = splitHead(slowBody.rest)!;
  t.truthy(second);
  const lines = second.head.split('\r\n');
  t.is(lines[0], 'HTTP/1.1 200 OK');
  t.true(lines.includes('Transfer-Encoding: chunked'), second.head);
  t.true(lines.includes('Content-Type: text/event-stream; charset=utf-8'), second.head);
  const sseBody = decodeChunked(second.body);
  t.true(sseBody.complete);
  t.is(sseBody.rest.length, 0);
  t.is(Buffer.concat(sseBody.chunks).toString('utf8'), sseFrames + frame(4, 'é€😀') + CLOSE_FRAME);
  // Event 4 came alone, after everything else had gone out: its own chunk.
  t.true(sseBody.chunks.some((c) => c.toString('utf8') === frame(4, 'é€😀')));
});

test.serial('a res.write wrapped by middleware sees every frame, and the client gets them all', async (t) => {
  const system = createSystem({ topics: ['t'], keepAlive: 0, history: { size: 0 } });
  let counted = 0;
  let calls = 0;
  const port = await listen(t, system, (req, res) => {
    const original = res.write;
    res.write = function (this: http.ServerResponse, data: string | Buffer, ...rest: unknown[]) {
      counted += Buffer.byteLength(data);
      calls += 1;
      return (original as (...args: unknown[]) => boolean).call(this, data, ...rest);
    } as typeof res.write;
    system.stream(req, res, 't', { data: 'hello' });
  });
  const client = await RawClient.connect(t, port, REQUEST_11);
  const frames = ['data: hello\n\n'];
  await eventually(() => bodyOf(client) === wire(chunk(frames[0]!)), 5000, 'the head and the initial chunk');
  await eventually(() => system.snapshot().connections[0]?.state === 'streaming', 5000, 'the stream');

  const texts = ['one', 'é€😀', 'three', 'four', 'five'];
  for (const [i, text] of texts.entries()) {
    system.notify({ id: i + 1, topic: 't', data: { data: text } });
    frames.push(frame(i + 1, text));
    await eventually(() => bodyOf(client).length >= wire(frames.map(chunk).join('')).length, 5000, `event ${i + 1}`);
  }
  t.is(calls, 6);
  t.is(counted, frames.reduce((sum, f) => sum + Buffer.byteLength(f), 0));
  t.is(bodyOf(client), wire(frames.map(chunk).join('')));
});

test.serial('HTTP/1.1 slow reader: the stream blocks on the socket, and its drain brings every event once, in order', async (t) => {
  const system = createSystem({ topics: ['t'], keepAlive: 0, history: { size: 0 }, mailbox: { limit: 10_000, overflow: 'drop-newest' } });
  const port = await listen(t, system, (req, res) => void system.stream(req, res, 't', { data: 'hello' }));
  const stream = new ChunkedStream();
  const client = await RawClient.connect(t, port, REQUEST_11);
  client.socket.on('data', (data: Buffer) => stream.feed(data));
  await eventually(() => stream.bodyLength === Buffer.byteLength('data: hello\n\n'), 5000, 'the head and the initial chunk');
  await eventually(() => system.snapshot().connections[0]?.state === 'streaming', 5000, 'the stream');
  client.socket.pause();

  const payload = 'y'.repeat(64 * 1024);
  const MAX = 600; // 600 × 64 KB ≈ 38 MB at most
  let sent = 0;
  while (sent < MAX && system.snapshot().connections[0]?.state !== 'blocked') {
    system.notify({ id: ++sent, topic: 't', data: { data: payload } });
    await turn();
  }
  await eventually(() => system.snapshot().connections[0]?.state === 'blocked', 5000, 'the stream to be blocked');
  // A few more while blocked: they wait in the mailbox.
  for (let i = 0; i < 10; i++) {
    system.notify({ id: ++sent, topic: 't', data: { data: payload } });
    await turn();
  }
  t.is(system.snapshot().connections[0]?.state, 'blocked');
  t.true((system.snapshot().connections[0]?.mailbox ?? 0) > 0, 'events wait in the mailbox while blocked');

  let expected = 'data: hello\n\n';
  for (let id = 1; id <= sent; id++) expected += frame(id, payload);
  const expectedLength = Buffer.byteLength(expected);
  client.socket.resume();
  await eventually(() => stream.bodyLength >= expectedLength, 20_000, `all ${sent} events`);
  await eventually(() => system.snapshot().connections[0]?.state === 'streaming', 5000, 'the stream to stream again (drain heard)');

  t.true(stream.head.split('\r\n').includes('Transfer-Encoding: chunked'), stream.head);
  t.false(stream.complete);
  const body = Buffer.concat(stream.body).toString('utf8');
  t.is(body.length, expected.length);
  t.true(body === expected, 'the decoded body is the initial chunk and every event once, in order');
  const ids = (body.match(/^id: \d+$/gm) ?? []).map((line) => Number(line.slice(4)));
  t.deepEqual(ids, Array.from({ length: sent }, (_, i) => i + 1));
  const [connection] = system.snapshot().connections;
  t.is(connection?.dropped, 0);
  t.is(connection?.delivered, sent);

  // Still writable after the drain: one more event comes as its own chunk.
  const chunksBefore = stream.chunkCount;
  system.notify({ id: ++sent, topic: 't', data: { data: 'after' } });
  await eventually(() => stream.bodyLength >= expectedLength + Buffer.byteLength(frame(sent, 'after')), 5000, 'the event after the drain');
  t.is(stream.chunkCount, chunksBefore + 1);
  t.is(stream.body.at(-1)?.toString('utf8'), frame(sent, 'after'));
});

test.serial('HTTP/1.1: after the first write, each event reaches the socket as one write of its whole chunk (the direct path applies)', async (t) => {
  const system = createSystem({ topics: ['t'], keepAlive: 0, history: { size: 0 } });
  const writes: string[] = [];
  const port = await listen(t, system, (req, res) => {
    // Observes what is handed to the socket; res.write stays node's own, so the direct path may apply.
    const socket = res.socket!;
    const original = socket.write;
    socket.write = function (this: net.Socket, data: string | Uint8Array, ...rest: unknown[]) {
      writes.push(typeof data === 'string' ? wire(data) : Buffer.from(data).toString('latin1'));
      return (original as (...args: unknown[]) => boolean).call(this, data, ...rest);
    } as typeof socket.write;
    system.stream(req, res, 't', { data: 'hello' });
  });
  const client = await RawClient.connect(t, port, REQUEST_11);
  let expected = chunk('data: hello\n\n');
  await eventually(() => bodyOf(client) === wire(expected), 5000, 'the head and the initial chunk');
  await eventually(() => system.snapshot().connections[0]?.state === 'streaming', 5000, 'the stream');
  const before = writes.length;

  const texts = ['one', 'é€😀', 'three'];
  for (const [i, text] of texts.entries()) {
    system.notify({ id: i + 1, topic: 't', data: { data: text } });
    expected += chunk(frame(i + 1, text));
    await eventually(() => bodyOf(client).length >= wire(expected).length, 5000, `event ${i + 1}`);
  }
  t.deepEqual(writes.slice(before), texts.map((text, i) => wire(chunk(frame(i + 1, text)))));
  t.is(bodyOf(client), wire(expected));
});

/** What a client got once its text ends with `tail`, the head's Date line blanked (the one line that changes). */
async function bytesUntil(t: ExecutionContext, port: number, tail: string): Promise<string> {
  const client = await RawClient.connect(t, port, REQUEST_11);
  await eventually(() => client.text.endsWith(tail), 5000, `the bytes up to ${JSON.stringify(tail)}`);
  return client.text.replace(/\r\nDate: [^\r]*\r\n/, '\r\nDate: -\r\n');
}

test.serial('HTTP/1.1: the head and the first chunk go to the socket in one write, byte for byte what res.write sends, whatever mix of latin1 head and UTF-8 frame', async (t) => {
  // A route may set a header with latin1 text (node sends it as latin1 bytes); frames are UTF-8.
  // Each mix must come out as node's own res.write puts it: the reference is a plain server.
  const cases = [
    { header: 'plain', initial: 'hello' },
    { header: 'caf\u00e9', initial: 'hello' },
    { header: 'plain', initial: 'é€😀' },
    { header: 'caf\u00e9', initial: 'é€😀' },
  ];
  for (const { header, initial } of cases) {
    const label = `header ${JSON.stringify(header)}, initial ${JSON.stringify(initial)}`;
    const system = createSystem({ topics: ['t'], keepAlive: 0, history: { size: 0 } });
    let writes = 0;
    const port = await listen(t, system, (req, res) => {
      res.setHeader('X-Name', header);
      const socket = res.socket!;
      const original = socket.write;
      socket.write = function (this: net.Socket, ...args: unknown[]) {
        writes += 1;
        return (original as (...a: unknown[]) => boolean).apply(this, args);
      } as typeof socket.write;
      system.stream(req, res, 't', { data: initial });
    });
    const reference = http.createServer((req, res) => {
      res.setHeader('X-Name', header);
      res.writeHead(200, sseResponseHeaders(req));
      res.write(`data: ${initial}\n\n`);
    });
    t.teardown(() => {
      reference.closeAllConnections();
      reference.close();
    });
    await new Promise<void>((resolve) => reference.listen(0, '127.0.0.1', resolve));
    const body = wire(chunk(`data: ${initial}\n\n`));
    const want = await bytesUntil(t, (reference.address() as AddressInfo).port, body);
    const got = await bytesUntil(t, port, body);
    t.is(got, want, label);
    t.true(got.startsWith(`HTTP/1.1 200 OK\r\nX-Name: ${header}\r\n`), label);
    t.true(got.endsWith(`\r\n\r\n${body}`), label);
    await eventually(() => system.snapshot().connections[0]?.state === 'streaming', 5000, 'the stream');
    // Node's res.write hands the socket four pieces (size, CRLF, frame, CRLF); the direct path one.
    // A latin1 head with a non-ASCII frame cannot be one string in one encoding: res.write does it.
    t.is(writes, header === 'plain' || initial === 'hello' ? 1 : 4, `socket writes for the head and the first chunk, ${label}`);
    await system.stop({ timeoutMs: 500 });
  }
});

test.serial('HTTPS (HTTP/1.1 over TLS): the head, the first chunk and each event go to the TLS socket directly, one write each, and decode to the frames', async (t) => {
  const system = createSystem({ topics: ['t'], keepAlive: 0, history: { size: 0 } });
  let writes = 0;
  const server = https.createServer(selfSigned(), (req, res) => {
    const socket = res.socket as tls.TLSSocket;
    const original = socket.write;
    socket.write = function (this: tls.TLSSocket, ...args: unknown[]) {
      writes += 1;
      return (original as (...a: unknown[]) => boolean).apply(this, args);
    } as typeof socket.write;
    system.stream(req, res, 't', { data: 'hello' });
  });
  t.teardown(async () => {
    await system.stop({ timeoutMs: 500 });
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = await RawClient.connect(t, (server.address() as AddressInfo).port, REQUEST_11, true);
  const frames = ['data: hello\n\n'];
  await eventually(() => bodyOf(client) === wire(chunk(frames[0]!)), 5000, 'the head and the initial chunk');
  await eventually(() => system.snapshot().connections[0]?.state === 'streaming', 5000, 'the stream');
  t.is(writes, 1, 'the head and the first chunk in one socket write');
  const texts = ['one', 'é€😀', 'x'.repeat(300)];
  for (const [i, text] of texts.entries()) {
    system.notify({ id: i + 1, topic: 't', data: { data: text } });
    frames.push(frame(i + 1, text));
    await eventually(() => bodyOf(client).length >= wire(frames.map(chunk).join('')).length, 5000, `event ${i + 1}`);
  }
  t.is(writes, 1 + texts.length, 'one socket write per event');
  const split = splitHead(client.bytes)!;
  t.is(split.head.split('\r\n')[0], 'HTTP/1.1 200 OK');
  t.true(split.head.split('\r\n').includes('Transfer-Encoding: chunked'), split.head);
  const decoded = decodeChunked(split.body);
  t.false(decoded.complete);
  t.deepEqual(decoded.chunks.map((c) => c.toString('utf8')), frames);
});

test.serial('HTTP/1.1 direct first write: the response keeps the head it sent, the same text, and refuses a second head', async (t) => {
  // The sink swaps node's `_header` (the concatenations that built it) for one equal string; node
  // reads it afterwards only as "the head is out", and so may a logger.
  const system = createSystem({ topics: ['t'], keepAlive: 0, history: { size: 0 } });
  let built: string | undefined;
  let response: http.ServerResponse | undefined;
  const port = await listen(t, system, (req, res) => {
    response = res;
    const writeHead = res.writeHead;
    res.writeHead = function (this: http.ServerResponse, ...args: unknown[]) {
      const result = (writeHead as (...a: unknown[]) => http.ServerResponse).apply(this, args);
      built = (this as unknown as { _header: string })._header;
      return result;
    } as typeof res.writeHead;
    system.stream(req, res, 't', { data: 'hello' });
  });
  const client = await RawClient.connect(t, port, REQUEST_11);
  const body = wire(chunk('data: hello\n\n'));
  await eventually(() => client.text.endsWith(body), 5000, 'the head and the initial chunk');
  const res = response as http.ServerResponse;
  if (typeof built !== 'string') return t.fail('writeHead made no head');
  const head = built;
  t.true(head.startsWith('HTTP/1.1 200 OK\r\n') && head.endsWith('\r\n\r\n'));
  t.is((res as unknown as { _header: string })._header, head);
  t.is(client.text, `${head}${body}`);
  t.true(res.headersSent);
  t.throws(() => res.writeHead(500), { code: 'ERR_HTTP_HEADERS_SENT' });
  system.notify({ id: 1, topic: 't', data: { data: 'next' } });
  await eventually(() => client.text.endsWith(wire(chunk(frame(1, 'next')))), 5000, 'the next event');
  t.is((res as unknown as { _header: string })._header, head);
  await system.stop({ timeoutMs: 500 });
});
