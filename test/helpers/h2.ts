import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { ExecutionContext } from 'ava';
import type { SseSystem } from '../../src/index.ts';

/**
 * Listens with `server` (h2c) on 127.0.0.1:0 and connects one client session to it; the teardown
 * destroys the session, stops `system` and closes the server.
 */
export async function h2Session(t: ExecutionContext, system: SseSystem, server: http2.Http2Server, stopTimeoutMs = 500): Promise<http2.ClientHttp2Session> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(async () => {
    await system.stop({ timeoutMs: stopTimeoutMs });
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const session = http2.connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  t.teardown(() => session.destroy());
  return session;
}
