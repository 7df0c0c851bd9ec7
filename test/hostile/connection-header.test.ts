import test from 'ava';
import { createSystem, sseHeaders, sseResponseHeaders, type SseRequest } from '../../src/index.ts';
import { RawClient, plainServer, koaServer } from './raw.ts';

// Item 9: `Connection: keep-alive` only where the client asked for a persistent HTTP/1.1 connection.

const cases: Array<[string, string, string]> = [
  ['HTTP/1.1', '', 'keep-alive'],
  ['HTTP/1.1', 'Connection: close\r\n', 'close'],
  ['HTTP/1.1', 'Connection: Upgrade, Close\r\n', 'close'],
  ['HTTP/1.1', 'Connection: keep-alive\r\n', 'keep-alive'],
  ['HTTP/1.0', '', 'close'],
  ['HTTP/1.0', 'Connection: keep-alive\r\n', 'close'],
];

for (const [kind, serve] of [
  ['node:http', plainServer],
  ['Koa', koaServer],
] as const) {
  for (const [version, header, expected] of cases) {
    test(`${kind} ${version} ${header.trim() || 'no Connection header'} → Connection: ${expected}`, async (t) => {
      const system = createSystem({ topics: ['a'], keepAlive: 0 });
      const srv = await serve(system);
      const client = new RawClient(srv.port, `GET /events?topics=a ${version}\r\nHost: x\r\n${header}\r\n`);
      await client.until((c) => c.text.includes('\r\n\r\n'), 5000, 'the head');
      t.is(client.status, 200);
      t.deepEqual(
        client.headers.filter(([name]) => name === 'connection').map(([, value]) => value),
        [expected],
      );
      await srv.close();
      await client.untilClosed(5000);
    });
  }
}

test('sseHeaders(httpVersionMajor) is unchanged; sseResponseHeaders reads the request', (t) => {
  t.is(sseHeaders(1).Connection, 'keep-alive');
  t.is(sseHeaders(2).Connection, undefined);
  const req = (major: number, minor: number, rawHeaders: string[]) => ({ httpVersionMajor: major, httpVersionMinor: minor, rawHeaders, headers: {} }) as unknown as SseRequest;
  t.is(sseResponseHeaders(req(1, 1, [])).Connection, 'keep-alive');
  t.is(sseResponseHeaders(req(1, 1, ['connection', 'close'])).Connection, undefined);
  t.is(sseResponseHeaders(req(1, 0, ['Connection', 'keep-alive'])).Connection, undefined);
  t.is(sseResponseHeaders(req(2, 0, [])).Connection, undefined);
  t.is(sseResponseHeaders(req(2, 0, [])), sseHeaders(2));
});
