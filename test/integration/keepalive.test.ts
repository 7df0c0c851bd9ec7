import test from 'ava';
import { SimulatedClock } from 'xstate';
import { createSystem, InvalidOptionError, type SseSystem } from '../../src/index.ts';
import { SseClient, startServer, eventually } from '../helpers/sse-client.ts';

const KEEP_ALIVE = ': keep-alive\n\n';

function count(haystack: string, needle: string): number {
  return haystack.split(needle).length - 1;
}

/** A later event on the same stream: once it arrived, everything written before it has too. */
async function barrier(system: SseSystem, client: SseClient, id: string): Promise<void> {
  system.notify({ id, topic: 'ticks', data: { data: id } });
  await client.until((c) => c.raw.endsWith(`id: ${id}\ndata: ${id}\n\n`), 5000, `barrier ${id}`);
}

async function setup(keepAlive?: number) {
  const clock = new SimulatedClock();
  const system = createSystem({ topics: ['ticks'], clock, ...(keepAlive === undefined ? {} : { keepAlive }) });
  const srv = await startServer(system);
  const client = await SseClient.connect(`${srv.url}/stream?topics=ticks&initial=hello`);
  await client.untilEvents(1);
  await eventually(() => system.snapshot().connections[0]?.state === 'streaming');
  return { clock, system, srv, client };
}

test.serial('a keep-alive comment after exactly keepAlive ms of idle, then every keepAlive ms', async (t) => {
  const { clock, system, srv, client } = await setup(1000);
  t.teardown(srv.close);
  clock.increment(999);
  await barrier(system, client, 'b1'); // the barrier write resets idle time at t=999
  t.is(count(client.raw, KEEP_ALIVE), 0);
  clock.increment(999); // t=1998: 999 ms idle
  await barrier(system, client, 'b2'); // write at t=1998
  t.is(count(client.raw, KEEP_ALIVE), 0);
  clock.increment(1000); // t=2998: 1000 ms idle
  await client.until((c) => count(c.raw, KEEP_ALIVE) === 1, 5000, 'first keep-alive');
  clock.increment(1000);
  await client.until((c) => count(c.raw, KEEP_ALIVE) === 2, 5000, 'second keep-alive');
  t.is(client.raw, `data: hello\n\nid: b1\ndata: b1\n\nid: b2\ndata: b2\n\n${KEEP_ALIVE}${KEEP_ALIVE}`);
  client.close();
});

test.serial('no keep-alive while events flow faster than the interval', async (t) => {
  const { clock, system, srv, client } = await setup(1000);
  t.teardown(srv.close);
  for (let i = 0; i < 20; i++) {
    clock.increment(500);
    await barrier(system, client, `e${i}`);
  }
  t.is(count(client.raw, KEEP_ALIVE), 0);
  t.is(client.events.length, 21);
  client.close();
});

test.serial('SSE_KEEP_ALIVE_IN_MS sets the interval when the option is absent', async (t) => {
  const saved = process.env.SSE_KEEP_ALIVE_IN_MS;
  process.env.SSE_KEEP_ALIVE_IN_MS = '250';
  t.teardown(() => {
    if (saved === undefined) delete process.env.SSE_KEEP_ALIVE_IN_MS;
    else process.env.SSE_KEEP_ALIVE_IN_MS = saved;
  });
  const { clock, system, srv, client } = await setup();
  t.teardown(srv.close);
  clock.increment(249);
  await barrier(system, client, 'b');
  t.is(count(client.raw, KEEP_ALIVE), 0);
  clock.increment(250);
  await client.until((c) => count(c.raw, KEEP_ALIVE) === 1, 5000, 'keep-alive after 250 ms');
  client.close();
  process.env.SSE_KEEP_ALIVE_IN_MS = 'soon';
  const error = t.throws(() => createSystem({ topics: ['ticks'], clock }), { instanceOf: InvalidOptionError });
  t.is(error?.message, 'Invalid option SSE_KEEP_ALIVE_IN_MS="soon": expected a non-negative integer of milliseconds (0 = off) in the environment variable');
  const withOption = createSystem({ topics: ['ticks'], clock, keepAlive: 50 }); // the option wins over the env
  t.is(withOption.snapshot().status, 'running');
  await withOption.stop();
});
