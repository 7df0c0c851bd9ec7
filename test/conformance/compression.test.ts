/**
 * koa-compress mounted before `sse()`: the event stream must go out neither compressed nor
 * buffered (a compressor holds bytes back until its block fills), while an ordinary JSON route
 * beside it is still compressed. Real Koa on 127.0.0.1:0, raw HTTP clients.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import test from 'ava';
import compress from 'koa-compress';
import Koa from 'koa';
import { createSystem, sse } from '../../src/index.ts';
import { eventually, SseClient } from '../helpers/sse-client.ts';

/** A JSON body big enough for any threshold (~60 KB, very compressible). */
const LARGE = { rates: Array.from({ length: 1000 }, (_, i) => ({ pair: 'usd_eur', at: i, rate: 1.08 + i / 1e5 })) };

function getRaw(url: string, acceptEncoding: string): Promise<{ headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false, headers: { 'accept-encoding': acceptEncoding } }, (res) => {
        const pieces: Buffer[] = [];
        res.on('data', (piece: Buffer) => pieces.push(piece));
        res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(pieces) }));
      })
      .on('error', reject);
  });
}

/** The two ways people mount it: defaults, and told to compress everything (filter always true, no threshold). */
const setups = {
  'koa-compress defaults': () => compress(),
  'koa-compress compressing everything': () => compress({ filter: () => true, threshold: 0 }),
};

for (const [name, middleware] of Object.entries(setups)) {
  test(`${name}: the stream is neither compressed nor buffered; a JSON route beside it is compressed`, async (t) => {
    const system = createSystem({ topics: ['t'], keepAlive: 0 });
    // Compression first, then sse(): the order an application would mount them in.
    const app = new Koa();
    app.use(middleware());
    app.use(sse(system));
    app.use((ctx) => {
      if (ctx.path === '/rates.json') ctx.body = LARGE;
      else if (ctx.path === '/stream') void ctx.sse(['t'], { data: 'hello' });
    });
    const server = http.createServer(app.callback());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    t.teardown(async () => {
      await system.stop({ timeoutMs: 1000 });
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    for (const encoding of ['gzip', 'br'] as const) {
      const { headers, body } = await getRaw(`${url}/rates.json`, encoding === 'br' ? 'br, gzip' : 'gzip');
      t.is(headers['content-encoding'], encoding);
      const json = (encoding === 'br' ? brotliDecompressSync(body) : gunzipSync(body)).toString('utf8');
      t.deepEqual(JSON.parse(json), LARGE);
      t.true(body.length < json.length / 5, `${encoding}: ${body.length} of ${json.length} bytes`);
    }

    const client = await SseClient.connect(`${url}/stream`, { 'accept-encoding': 'gzip, deflate, br' });
    t.teardown(() => client.close());
    t.is(client.res.headers['content-encoding'], undefined);
    t.is(client.res.headers['content-type'], 'text/event-stream; charset=utf-8');
    t.is(client.res.headers['cache-control'], 'no-cache, no-transform');
    await client.untilEvents(1);
    await eventually(() => system.snapshot().topics[0]?.subscribers === 1, 5000, 'the stream to subscribe');
    // One by one: each event is on the wire, exactly, before the next is notified.
    let expected = 'data: hello\n\n';
    t.is(client.raw, expected);
    for (let i = 1; i <= 5; i++) {
      system.notify({ id: `e${i}`, topic: 't', data: { data: `event ${i}` } });
      expected += `id: e${i}\ndata: event ${i}\n\n`;
      await client.until((c) => c.raw.length >= expected.length, 2000, `event ${i}`);
      t.is(client.raw, expected);
    }
  });
}
