import test from 'ava';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSystem } from '../../src/index.ts';
import { SseClient, eventually } from '../helpers/sse-client.ts';

/** node:http server whose responses count their write() calls. */
async function countingServer(system: ReturnType<typeof createSystem>) {
  const writes: number[] = [];
  const server = http.createServer((req, res) => {
    const index = writes.push(0) - 1;
    const write = res.write.bind(res) as (...args: unknown[]) => boolean;
    res.write = ((...args: unknown[]) => {
      writes[index] = (writes[index] ?? 0) + 1;
      return write(...args);
    }) as typeof res.write;
    system.stream(req, res, ['t']);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, writes, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

test('events queued in one turn go out in one write; the bytes equal one write per event', async (t) => {
  const system = createSystem({ topics: ['t'], keepAlive: 0 });
  const { server, writes, url } = await countingServer(system);
  t.teardown(async () => {
    await system.stop();
    server.close();
  });
  const batched = await SseClient.connect(url);
  await eventually(() => system.snapshot().connections.length === 1);
  const event = (i: number) => ({ id: i, topic: 't', data: { data: `line ${i}\nsecond`, event: i % 2 ? 'odd' : 'even' } });
  for (let i = 0; i < 100; i++) system.notify(event(i)); // one turn
  await batched.untilEvents(100);
  t.is(writes[0], 1);

  const oneByOne = await SseClient.connect(url);
  await eventually(() => system.snapshot().connections.length === 2);
  batched.close();
  await eventually(() => system.snapshot().connections.length === 1);
  for (let i = 0; i < 100; i++) {
    system.notify(event(100 + i));
    await oneByOne.untilEvents(i + 1); // a turn (and a write) per event
  }
  t.is(writes[1], 100);
  const renumber = (raw: string) => raw.replace(/id: (\d+)/g, (_, n: string) => `id: ${Number(n) % 100}`).replace(/line (\d+)/g, (_, n: string) => `line ${Number(n) % 100}`);
  t.is(renumber(oneByOne.raw), batched.raw);
  oneByOne.close();
});
