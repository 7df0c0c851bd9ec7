/**
 * Wire fuzzing through a real stream: a Koa server on 127.0.0.1:0, `system.notify` and the
 * `ctx.sse` initial chunk, raw bytes read off the socket. Fixed seeds; `FUZZ_RUNS` scales the runs.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import test from 'ava';
import fc from 'fast-check';
import { createSystem, encodeChunk, InvalidChunkError, type Chunk } from '../../src/index.ts';
import { startServer, type TestServer } from '../helpers/sse-client.ts';
import { cutsFor, decodePieces, expectedAll, FUZZ_RUNS, invalidChunk, StreamingClient, validChunk } from './arbitraries.ts';

const TOPIC = 'fuzz';

/** A stream read as bytes (no string decoding in between), decoded as it arrives. */
class ByteStream {
  readonly pieces: Buffer[] = [];
  readonly client = new StreamingClient();
  private wake: () => void = () => {};
  private constructor(readonly res: http.IncomingMessage) {
    res.on('data', (piece: Buffer) => {
      this.pieces.push(piece);
      this.client.feed(piece);
      this.wake();
    });
  }

  static open(url: string): Promise<ByteStream> {
    return new Promise((resolve, reject) => {
      http.get(url, { agent: false }, (res) => resolve(new ByteStream(res))).on('error', reject);
    });
  }

  get bytes(): Buffer {
    return Buffer.concat(this.pieces);
  }

  /** Resolves once an event with data `data` was decoded; rejects after 5 s. */
  untilData(data: string): Promise<void> {
    const seen = () => this.client.decoded.events.some((e) => e.data === data);
    if (seen()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no event ${JSON.stringify(data)} within 5 s`)), 5000);
      this.wake = () => {
        if (!seen()) return;
        clearTimeout(timer);
        resolve();
      };
    });
  }

  close(): void {
    this.res.destroy();
  }
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

async function serve(t: { teardown(fn: () => Promise<void>): void }, configure?: Parameters<typeof startServer>[1]): Promise<{ system: ReturnType<typeof createSystem>; server: TestServer }> {
  const system = createSystem({ topics: [TOPIC], keepAlive: 0, history: { size: 10_000, ttlMs: 60_000 } });
  const server = await startServer(system, configure);
  t.teardown(() => server.close());
  return { system, server };
}

test('a real stream of random chunks decodes to exactly what was notified, however its bytes are cut', async (t) => {
  const { system, server } = await serve(t);
  // Wire ids must be unique per topic (replay needs them): a random chunk id gets its index appended.
  // It must also come back in a Last-Event-ID header (notify refuses leading/trailing blanks and
  // lone surrogates), so it is framed by markers and its lone surrogates are replaced.
  const headerSafe = (id: string | number) => `<${String(id).replace(LONE_SURROGATE, '\uFFFD')}>`;
  const chunks = fc.sample(validChunk, { seed: 1405, numRuns: 200 }).map((chunk, i) => (chunk.id === undefined ? chunk : { ...chunk, id: `${headerSafe(chunk.id)}·${i}` }));
  const stream = await ByteStream.open(`${server.url}/stream?topics=${TOPIC}&initial=${encodeURIComponent('héllo 😀')}`);
  await stream.untilData('héllo 😀');
  chunks.forEach((chunk, i) => system.notify({ id: `e${i}`, topic: TOPIC, data: chunk }));
  system.notify({ id: 'end', topic: TOPIC, data: { data: 'end' } });
  await stream.untilData('end');
  stream.close();

  // The wire id of each event is the chunk's own id, else the event's.
  const sent: Chunk[] = [{ data: 'héllo 😀' }, ...chunks.map((chunk, i) => ({ ...chunk, id: chunk.id ?? `e${i}` })), { data: 'end', id: 'end' }];
  const bytes = stream.bytes;
  t.deepEqual(stream.client.decoded, expectedAll(sent), 'as the socket delivered it');
  t.deepEqual(decodePieces(bytes, []), expectedAll(sent), 'in one piece');
  fc.assert(
    fc.property(cutsFor(bytes), (cuts) => {
      assert.deepEqual(decodePieces(bytes, cuts), expectedAll(sent));
    }),
    { seed: 1406, numRuns: Math.ceil(FUZZ_RUNS / 3) },
  );
  t.pass(`seed 1406: ${Math.ceil(FUZZ_RUNS / 3)} runs`);
});

test('system.notify of an invalid chunk throws InvalidChunkError and not a byte reaches the stream', async (t) => {
  const { system, server } = await serve(t);
  const stream = await ByteStream.open(`${server.url}/stream?topics=${TOPIC}&initial=ready`);
  await stream.untilData('ready');
  let run = 0;
  await fc.assert(
    fc.asyncProperty(invalidChunk, async ({ chunk, field }) => {
      run += 1;
      const before = stream.bytes.length;
      assert.throws(() => system.notify({ id: `bad${run}`, topic: TOPIC, data: chunk as Chunk }), (error) => error instanceof InvalidChunkError && error.field === field);
      // A valid event right after: once it is in, anything written before it would be too.
      system.notify({ id: `ok${run}`, topic: TOPIC, data: { data: `ok${run}` } });
      await stream.untilData(`ok${run}`);
      assert.equal(stream.bytes.subarray(before).toString('utf8'), encodeChunk({ data: `ok${run}` }, `ok${run}`));
    }),
    { seed: 1407, numRuns: Math.ceil(FUZZ_RUNS / 3) },
  );
  t.pass(`seed 1407: ${Math.ceil(FUZZ_RUNS / 3)} runs`);
  // Nothing invalid reached history either: a replay from the start holds only the good events.
  t.is(system.snapshot().topics.find((entry) => entry.topic === TOPIC)?.history, run);
  stream.close();
});

test('an invalid initial chunk in ctx.sse throws InvalidChunkError and the answer is a plain 500, not a stream', async (t) => {
  let pending: unknown;
  const thrown: unknown[] = [];
  const { system, server } = await serve(t, (app) => {
    app.use(async (ctx, next) => {
      if (ctx.path !== '/invalid') return next();
      try {
        await ctx.sse([TOPIC], pending as Chunk);
      } catch (error) {
        thrown.push(error);
        throw error;
      }
    });
  });
  await fc.assert(
    fc.asyncProperty(
      // No initial chunk at all is valid.
      invalidChunk.filter(({ chunk }) => chunk !== undefined),
      async ({ chunk, field }) => {
        pending = chunk;
        thrown.length = 0;
        const answer = await new Promise<{ status: number; type: string | undefined; body: string }>((resolve, reject) => {
          http
            .get(`${server.url}/invalid`, { agent: false }, (res) => {
              let body = '';
              res.setEncoding('utf8');
              res.on('data', (piece: string) => (body += piece));
              res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body }));
            })
            .on('error', reject);
        });
        assert.deepEqual(answer, { status: 500, type: 'text/plain; charset=utf-8', body: 'Internal Server Error' });
        assert.equal(thrown.length, 1);
        assert.ok(thrown[0] instanceof InvalidChunkError);
        assert.equal(thrown[0].field, field);
      },
    ),
    { seed: 1408, numRuns: Math.ceil(FUZZ_RUNS / 4) },
  );
  t.pass(`seed 1408: ${Math.ceil(FUZZ_RUNS / 4)} runs`);
  t.deepEqual(system.snapshot().connections, []);
});
