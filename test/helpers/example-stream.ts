import type { ExecutionContext } from 'ava';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { SseSystem } from '../../src/index.ts';
import { SseClient, eventually } from './sse-client.ts';

/**
 * What every example test checks over real HTTP: the stream's headers, the exact bytes of the
 * initial chunk, then the exact bytes after one notified event. Keep-alive must be off in the
 * system under test, so no comment can fall between the two.
 */
export async function streamsInitialThenEvent(
  t: ExecutionContext,
  system: SseSystem,
  url: string,
  expected: { initial: string; topic: string },
): Promise<void> {
  const client = await SseClient.connect(url);
  t.teardown(() => client.close());
  t.is(client.status, 200);
  t.is(client.res.headers['content-type'], 'text/event-stream; charset=utf-8');
  t.is(client.res.headers['cache-control'], 'no-cache, no-transform');
  t.is(client.res.headers['x-accel-buffering'], 'no');
  await client.untilEvents(1, 5000);
  t.is(client.raw, expected.initial);
  // The first bytes arrive once the stream is open; wait for its actor to stream before notifying.
  await eventually(() => system.snapshot().connections[0]?.state === 'streaming', 5000, 'the connection to stream');
  system.notify({ id: 'e-1', topic: expected.topic, data: { data: 'one\ntwo', event: 'tick' } });
  await client.untilEvents(2, 5000);
  t.is(client.raw, `${expected.initial}id: e-1\nevent: tick\ndata: one\ndata: two\n\n`);
}

/** Waits for `server` (told to listen on port 0) to listen; the test's teardown stops `system` and closes it. Returns the base URL. */
export async function listenExample(t: ExecutionContext, system: SseSystem, server: import('node:http').Server): Promise<string> {
  if (!server.listening) await once(server, 'listening');
  t.teardown(async () => {
    await system.stop({ timeoutMs: 1000 });
    server.closeAllConnections();
    server.close();
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
