import test from 'ava';
import { createSystem } from '../../src/index.ts';
import { SseClient, startServer, eventually } from '../helpers/sse-client.ts';
import { prng } from '../helpers/replay-session.ts'; // seeded, so CHAOS_SEED replays a run

const CLIENTS = 100;
const EVENTS = 10_000;

test('chaos: 100 clients, 10,000 events, an actor killed at random every few ms; every client gets every id once, in order', async (t) => {
  const seed = Number(process.env.CHAOS_SEED ?? 4242);
  t.log(`seed ${seed} (CHAOS_SEED=${seed} replays this run)`);
  const random = prng(seed);
  // The intensity is raised so this measures recovery; escalation has its own tests.
  const system = createSystem({ topics: ['a', 'b'], keepAlive: 0, restart: { maxRestarts: 1_000_000, withinMs: 1000 }, history: { size: 20_000 } });
  const srv = await startServer(system);
  t.teardown(srv.close);
  const clients = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => SseClient.connect(`${srv.url}/stream?topics=${i % 2 ? 'a' : 'a,b'}`)));
  await eventually(() => system.snapshot().connections.filter((c) => c.state === 'streaming').length === CLIENTS, 10_000, 'clients streaming');
  const connectionIds = system.snapshot().connections.map((c) => c.id);

  const kills = { connection: 0, registry: 0, history: 0 };
  let publishing = true;
  const killer = (async () => {
    while (publishing) {
      const r = random();
      if (r < 0.6) {
        system.exit(connectionIds[Math.floor(random() * connectionIds.length)] as string, 'kill');
        kills.connection += 1;
      } else if (r < 0.8) {
        system.exit('registry', 'kill');
        kills.registry += 1;
      } else {
        system.exit('history', 'kill');
        kills.history += 1;
      }
      await new Promise((resolve) => setTimeout(resolve, 1 + Math.floor(random() * 3))); // the chaos pace, not a wait for a result
    }
  })();

  const sentA: string[] = [];
  const sentAll: string[] = [];
  for (let i = 0; i < EVENTS; ) {
    for (const end = i + 1 + Math.floor(random() * 40); i < end && i < EVENTS; i++) {
      const topic = random() < 0.3 ? 'b' : 'a';
      system.notify({ id: i, topic, data: { data: `${topic}${i}` } });
      sentAll.push(String(i));
      if (topic === 'a') sentA.push(String(i));
    }
    await new Promise((resolve) => setImmediate(resolve));
    if (i % 500 < 40) await new Promise((resolve) => setTimeout(resolve, 1)); // let the killer in
  }
  publishing = false;
  await killer;

  await Promise.all(clients.map((c, i) => c.untilEvents(i % 2 ? sentA.length : sentAll.length, 30_000)));
  const wrong = clients
    .map((c, i) => ({ i, got: c.events.map((f) => f.id), want: i % 2 ? sentA : sentAll }))
    .filter(({ got, want }) => JSON.stringify(got) !== JSON.stringify(want));
  const snap = system.snapshot();
  const restarts = snap.connections.reduce((n, c) => n + c.restarts, 0);
  const checked = clients.reduce((n, c) => n + c.events.length, 0);
  t.log(`kills ${JSON.stringify(kills)}; restarts: connections ${restarts}, ${snap.actors.filter((a) => a.id === 'registry' || a.id === 'history').map((a) => `${a.id} ${a.restarts}`).join(', ')}; events checked ${checked}`);
  t.deepEqual(wrong.map(({ i }) => i), [], `seed ${seed}: clients with wrong ids`);
  t.is(restarts, kills.connection);
  t.deepEqual(snap.actors.filter((a) => a.id === 'registry' || a.id === 'history').map((a) => a.restarts), [kills.registry, kills.history]);
  t.true(kills.connection + kills.registry + kills.history >= 100, 'the run killed at least 100 actors');
  t.false(clients.some((c) => c.ended), 'no stream ended: restarts are invisible to clients');
  t.is(snap.escalations, 0);
  for (const c of clients) c.close();
});
