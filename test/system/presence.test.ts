import test from 'ava';
import fc from 'fast-check';
import type Koa from 'koa';
import { SimulatedClock } from 'xstate';
import { createSystem, memoryPresence, memoryTransport, InvalidOptionError, InvalidSelectorError, NotUnderPresenceError, CLOSE_EVENT, type PresenceHost, type PresenceStore, type SseUser } from '../../src/index.ts';
import { SseClient, eventually, startServer } from '../helpers/sse-client.ts';

const BATCH = 50;

/** A sink in memory: keeps what was written; `leave()` is the client going away. */
function memorySink() {
  const listeners = new Set<{ onSinkClose(): void }>();
  return {
    text: '',
    closed: false,
    ended: false,
    open: () => undefined,
    write(bytes: Buffer, done?: (error?: Error | null) => void) {
      this.text += bytes.toString();
      done?.();
      return true;
    },
    end() {
      this.ended = true;
      queueMicrotask(() => this.leave()); // the client takes the end, as a socket would
    },
    destroy() {
      this.leave();
    },
    listen: (l: { onSinkClose(): void }) => void listeners.add(l),
    unlisten: () => listeners.clear(),
    leave() {
      if (this.closed) return;
      this.closed = true;
      for (const l of [...listeners]) l.onSinkClose();
    },
  };
}

const presenceEvent = (id: string, type: 'join' | 'leave', user: SseUser): string =>
  `id: ${id}\nevent: presence\ndata: ${JSON.stringify(user.info === undefined ? { type, id: user.id } : { type, id: user.id, info: user.info })}\n\n`;

/** Koa on port 0: `/room?user=u1&topics=room.a` streams with that user (none without `user`). */
async function roomServer(system: ReturnType<typeof createSystem>) {
  return startServer(system, (app: Koa) =>
    app.use(async (ctx, next) => {
      if (ctx.path !== '/room') return next();
      const id = ctx.query.user;
      const user = typeof id === 'string' ? { id, ...(id === 'u1' ? { info: { name: 'Ada' } } : {}) } : undefined;
      ctx.sse(String(ctx.query.topics ?? 'room.a').split(','), undefined, { user });
    }),
  );
}

test('three streams of one user give exactly one join; closing all three gives exactly one leave (exact bytes and ids)', async (t) => {
  const clock = new SimulatedClock();
  const system = createSystem({ topics: ['room.*'], keepAlive: 0, clock, node: 'n1', presence: { topics: ['room.*'], events: true } });
  const server = await roomServer(system);
  try {
    const observer = await SseClient.connect(`${server.url}/room`);
    const tabs = await Promise.all([1, 2, 3].map(() => SseClient.connect(`${server.url}/room?user=u1`)));
    await eventually(() => system.snapshot().connections.length === 4, 10_000, 'four streams');
    t.deepEqual(system.snapshot().presence, [{ topic: 'room.a', users: 1, connections: 3 }]);
    clock.increment(BATCH);
    const join = presenceEvent('presence-n1-0', 'join', { id: 'u1', info: { name: 'Ada' } });
    await observer.until((c) => c.raw === join, 10_000, 'the join');
    t.deepEqual(await system.presence('room.a'), [{ id: 'u1', info: { name: 'Ada' }, connections: 3 }]);
    t.deepEqual(await system.occupancy('room.a'), { users: 1, connections: 3 });
    for (const tab of tabs) tab.close();
    await eventually(() => system.snapshot().connections.length === 1, 10_000, 'the tabs released');
    clock.increment(BATCH);
    const leave = presenceEvent('presence-n1-1', 'leave', { id: 'u1', info: { name: 'Ada' } });
    await observer.until((c) => c.raw === join + leave, 10_000, 'the leave');
    t.deepEqual(await system.presence('room.a'), []);
    t.deepEqual(await system.occupancy('room.a'), { users: 0, connections: 0 });
    t.deepEqual(system.snapshot().presence, []);
    t.is(observer.raw, join + leave); // nothing else: one join, one leave
  } finally {
    await server.close();
  }
});

test('a reconnect within batchMs shows neither a leave nor a join', async (t) => {
  const clock = new SimulatedClock();
  const system = createSystem({ topics: ['room.*'], keepAlive: 0, clock, node: 'n1', presence: { topics: ['room.*'], events: true } });
  const server = await roomServer(system);
  try {
    const observer = await SseClient.connect(`${server.url}/room`);
    const first = await SseClient.connect(`${server.url}/room?user=u2`);
    await eventually(() => system.snapshot().connections.length === 2, 10_000, 'two streams');
    t.deepEqual(await system.occupancy('room.a'), { users: 1, connections: 1 }); // flushes: the join goes out
    const join = presenceEvent('presence-n1-0', 'join', { id: 'u2' });
    await observer.until((c) => c.raw === join, 10_000, 'the join');
    first.close();
    await eventually(() => system.snapshot().connections.length === 1, 10_000, 'the first released');
    const again = await SseClient.connect(`${server.url}/room?user=u2`);
    await eventually(() => system.snapshot().connections.length === 2, 10_000, 'the reconnect');
    clock.increment(BATCH);
    t.deepEqual(await system.presence('room.a'), [{ id: 'u2', connections: 1 }]);
    t.is(observer.raw, join);
    again.close();
  } finally {
    await server.close();
  }
});

test('a killed connection actor is restarted on its socket: presence does not move, no leave, no join', async (t) => {
  const clock = new SimulatedClock();
  const system = createSystem({ topics: ['room.*'], keepAlive: 0, clock, node: 'n1', presence: { topics: ['room.*'], events: true } });
  const server = await roomServer(system);
  try {
    const observer = await SseClient.connect(`${server.url}/room`);
    const tab = await SseClient.connect(`${server.url}/room?user=u3`);
    await eventually(() => system.snapshot().connections.length === 2, 10_000, 'two streams');
    t.deepEqual(await system.occupancy('room.a'), { users: 1, connections: 1 });
    const join = presenceEvent('presence-n1-0', 'join', { id: 'u3' });
    await observer.until((c) => c.raw === join, 10_000, 'the join');
    const id = system.snapshot().connections.find((c) => c.user?.id === 'u3')?.id as string;
    for (let n = 1; n <= 3; n++) {
      system.exit(id, 'kill');
      await eventually(() => system.snapshot().connections.find((c) => c.id === id)?.restarts === n, 10_000, `restart ${n}`);
    }
    clock.increment(BATCH);
    t.deepEqual(await system.presence('room.a'), [{ id: 'u3', connections: 1 }]);
    system.notify({ id: 'after', topic: 'room.a', data: { data: 'x' } }); // a marker: everything before it has been written
    await observer.until((c) => c.raw.endsWith('id: after\ndata: x\n\n'), 10_000, 'the marker');
    t.is(observer.raw, join + 'id: after\ndata: x\n\n');
    t.false(tab.ended);
    tab.close();
  } finally {
    await server.close();
  }
});

test('disconnect by user, by topic, and reconnect:false: counts, exactly those streams end, sse-close then a retry too long to wait', async (t) => {
  const system = createSystem({ topics: ['room.*'], keepAlive: 0, node: 'n1', presence: { topics: ['room.*'] } });
  const server = await roomServer(system);
  try {
    const u1a = await SseClient.connect(`${server.url}/room?user=u1`);
    const u1b = await SseClient.connect(`${server.url}/room?user=u1&topics=room.b`);
    const u2a = await SseClient.connect(`${server.url}/room?user=u2`);
    const u2b = await SseClient.connect(`${server.url}/room?user=u2&topics=room.b`);
    const anon = await SseClient.connect(`${server.url}/room?topics=room.b`);
    await eventually(() => system.snapshot().connections.length === 5, 10_000, 'five streams');
    t.is(await system.disconnect({ user: 'u1' }), 2);
    await Promise.all([u1a.untilEnded(), u1b.untilEnded()]);
    t.regex(u1a.raw, /^retry: \d+\n\n$/); // the normal end: a jittered retry, the browser comes back and authorize decides
    t.is(await system.disconnect({ topic: 'room.b', user: 'u2' }), 1);
    await u2b.untilEnded();
    t.is(await system.disconnect({ topic: 'room.b', reconnect: false }), 1);
    await anon.untilEnded();
    t.is(anon.raw, `event: ${CLOSE_EVENT}\ndata: {"reason":"disconnected"}\n\nretry: 2147483647\n\n`);
    t.false(u2a.ended);
    t.is(await system.disconnect({ user: 'nobody' }), 0);
    t.is(system.snapshot().counters.disconnected, 4);
    await eventually(() => system.snapshot().connections.length === 1, 10_000, 'one stream left');
    t.deepEqual(await system.occupancy('room.a'), { users: 1, connections: 1 });
    u2a.close();
  } finally {
    await server.close();
  }
});

test('disconnect works with presence off (this node only)', async (t) => {
  const system = createSystem({ topics: ['news'], keepAlive: 0 });
  const sink = memorySink();
  system.admit({ topics: 'news', user: { id: 'u1' } }).attach(sink as never);
  t.is(await system.disconnect({ user: 'u1', reconnect: false }), 1);
  t.true(sink.ended);
  t.is(sink.text, 'event: sse-close\ndata: {"reason":"disconnected"}\n\nretry: 2147483647\n\n');
  await system.stop();
});

test('bad presence options are InvalidOptionError naming the option', (t) => {
  const cases: Array<[unknown, string]> = [
    ['room.*', 'presence'],
    [{ topics: [] }, 'presence.topics'],
    [{ topics: ['room.**x'] }, 'presence.topics'],
    [{ topics: ['other.*'] }, 'presence.topics'],
    [{ topics: [7] }, 'presence.topics'],
    [{ topics: ['room.*'], events: 'yes' }, 'presence.events'],
    [{ topics: ['room.*'], ttlMs: 0 }, 'presence.ttlMs'],
    [{ topics: ['room.*'], batchMs: -1 }, 'presence.batchMs'],
  ];
  for (const [presence, option] of cases) {
    const error = t.throws(() => createSystem({ topics: ['room.*', 'news'], presence: presence as never }), { instanceOf: InvalidOptionError });
    t.is(error?.option, option, JSON.stringify(presence));
  }
  // Names and narrower patterns under a family, and registered names, are fine.
  t.notThrows(() => void createSystem({ topics: ['room.*', 'news'], presence: { topics: ['room.a', 'news', 'room.*'] } }).stop());
});

test('presence()/occupancy() of a topic not under presence, or with presence off, reject with NotUnderPresenceError; bad selectors with InvalidSelectorError', async (t) => {
  const system = createSystem({ topics: ['room.*', 'news'], presence: { topics: ['room.*'] } });
  await t.throwsAsync(system.presence('news'), { instanceOf: NotUnderPresenceError });
  await t.throwsAsync(system.occupancy('room.*'), { instanceOf: NotUnderPresenceError });
  await t.throwsAsync(system.presence(7 as never), { instanceOf: NotUnderPresenceError });
  for (const selector of [{}, null, 'u1', { user: 7 }, { topic: 'x', reconnect: 'no' }]) {
    await t.throwsAsync(system.disconnect(selector as never), { instanceOf: InvalidSelectorError });
  }
  const off = createSystem({ topics: ['room.*'] });
  await t.throwsAsync(off.presence('room.a'), { instanceOf: NotUnderPresenceError });
  await Promise.all([system.stop(), off.stop()]);
});

type Step = { op: 'open'; user: number; topics: number } | { op: 'close'; at: number } | { op: 'kill'; at: number } | { op: 'flush' };
const TOPIC_SETS = [['room.a'], ['room.b'], ['room.a', 'room.b'], ['room.a', 'news']];
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ op: fc.constant('open' as const), user: fc.nat(2), topics: fc.nat(TOPIC_SETS.length - 1) }),
  fc.record({ op: fc.constant('close' as const), at: fc.nat(20) }),
  fc.record({ op: fc.constant('kill' as const), at: fc.nat(20) }),
  fc.record({ op: fc.constant('flush' as const) }),
);

test('model: random opens, closes and kills keep presence() and occupancy() exact; events are the model transitions; kills change nothing', async (t) => {
  await fc.assert(
    fc.asyncProperty(fc.array(stepArb, { maxLength: 30 }), async (steps) => {
      const clock = new SimulatedClock();
      const system = createSystem({ topics: ['room.*', 'news'], keepAlive: 0, clock, node: 'n', restart: { maxRestarts: 1000, withinMs: 1 }, presence: { topics: ['room.*'], events: true } });
      const observers = { 'room.a': memorySink(), 'room.b': memorySink() };
      for (const [topic, sink] of Object.entries(observers)) system.admit({ topics: topic }).attach(sink as never);
      const open: Array<{ id: string; user: string; topics: string[]; sink: ReturnType<typeof memorySink> }> = [];
      const count = new Map<string, number>(); // `${topic} ${user}` → streams
      const announced = new Map<string, boolean>(); // what the last flush left present
      const expected: Record<string, string[]> = { 'room.a': [], 'room.b': [] };
      const flushModel = () => {
        for (const key of new Set([...count.keys(), ...announced.keys()])) {
          const [topic, user] = key.split(' ') as [string, string];
          const now = (count.get(key) ?? 0) > 0;
          if (now !== (announced.get(key) ?? false)) expected[topic]?.push(`${now ? 'join' : 'leave'} ${user}`);
          announced.set(key, now);
        }
      };
      const events = (topic: 'room.a' | 'room.b') =>
        observers[topic].text
          .split('\n\n')
          .filter((b) => b.includes('event: presence'))
          .map((b) => JSON.parse(b.slice(b.indexOf('data: ') + 6)) as { type: string; id: string })
          .map((e) => `${e.type} ${e.id}`);
      try {
        for (const step of steps) {
          if (step.op === 'open') {
            const user = `u${step.user}`;
            const topics = TOPIC_SETS[step.topics] as string[];
            const sink = memorySink();
            const id = system.admit({ topics, user: { id: user } }).attach(sink as never) as string;
            open.push({ id, user, topics, sink });
            for (const topic of topics) if (topic !== 'news') count.set(`${topic} ${user}`, (count.get(`${topic} ${user}`) ?? 0) + 1);
          } else if (step.op === 'close') {
            const [s] = open.splice(step.at % Math.max(open.length, 1), 1);
            if (!s) continue;
            s.sink.leave();
            await eventually(() => !system.snapshot().connections.some((c) => c.id === s.id), 5000, 'released');
            for (const topic of s.topics) if (topic !== 'news') count.set(`${topic} ${s.user}`, (count.get(`${topic} ${s.user}`) ?? 0) - 1);
          } else if (step.op === 'kill') {
            const s = open[step.at % Math.max(open.length, 1)];
            if (!s) continue;
            const before = system.snapshot().connections.find((c) => c.id === s.id)?.restarts ?? 0;
            system.exit(s.id, 'kill');
            await eventually(() => (system.snapshot().connections.find((c) => c.id === s.id)?.restarts ?? 0) > before, 5000, 'restarted');
          } else {
            await system.occupancy('room.a'); // flushes
            flushModel();
          }
        }
        for (const topic of ['room.a', 'room.b'] as const) {
          const users = [...count].filter(([key, n]) => key.startsWith(`${topic} `) && n > 0).map(([key, n]) => ({ id: key.split(' ')[1] as string, connections: n }));
          users.sort((a, b) => (a.id < b.id ? -1 : 1));
          t.deepEqual(await system.presence(topic), users);
          t.deepEqual(await system.occupancy(topic), { users: users.length, connections: users.reduce((sum, u) => sum + u.connections, 0) });
        }
        flushModel();
        const same = (topic: 'room.a' | 'room.b') => JSON.stringify(events(topic).sort()) === JSON.stringify([...(expected[topic] ?? [])].sort());
        // The observers' writes go out at the flusher's next turn: wait for them, with a deadline.
        await eventually(() => same('room.a') && same('room.b'), 2000, 'the presence events').catch(() => undefined);
        for (const topic of ['room.a', 'room.b'] as const) t.deepEqual(events(topic).sort(), [...(expected[topic] ?? [])].sort());
        t.is(system.snapshot().connections.length, open.length + 2); // kills restarted on the same socket: nothing was lost
      } finally {
        await system.stop({ timeoutMs: 0 });
      }
    }),
    { numRuns: 40 },
  );
});

test('a pattern over names counts on each name it expanded to at start; a live pattern into a family counts on none', async (t) => {
  const system = createSystem({ topics: ['room.*', 'news.eu', 'news.us'], keepAlive: 0, presence: { topics: ['room.*', 'news.*'] } });
  system.notify({ id: 1, topic: 'room.a', data: { data: 'x' } }); // room.a exists before the stream opens
  system.admit({ topics: ['room.*', 'news.*'], user: { id: 'u1' } }).attach(memorySink() as never);
  t.deepEqual(system.snapshot().presence, [{ topic: 'news.eu', users: 1, connections: 1 }, { topic: 'news.us', users: 1, connections: 1 }]);
  t.deepEqual(await system.presence('news.us'), [{ id: 'u1', connections: 1 }]);
  t.deepEqual(await system.occupancy('room.a'), { users: 0, connections: 0 });
  await system.stop();
});

test("a transport's presence store is used instead of the in-process one, and its reaped changes are announced like the system's own", async (t) => {
  const inner = memoryPresence();
  let host: PresenceHost | undefined;
  const store: PresenceStore = { ...inner, start: (h) => ((host = h), inner.start(h)) };
  const transport = Object.assign(memoryTransport(), { presence: () => store });
  const system = createSystem({ topics: ['room.*'], keepAlive: 0, node: 'n1', transport, presence: { topics: ['room.*'], events: true, ttlMs: 5000 } });
  const observer = memorySink();
  system.admit({ topics: 'room.a' }).attach(observer as never);
  await system.ready();
  t.is(host?.node, 'n1');
  t.is(host?.ttlMs, 5000);
  host?.reaped([{ type: 'leave', topic: 'room.a', id: 'ghost', info: { from: 'n2' } }]); // a dead node's user, reaped here
  await eventually(() => observer.text.includes('ghost'), 5000, 'the reaped leave');
  t.is(observer.text, 'id: presence-n1-0\nevent: presence\ndata: {"type":"leave","id":"ghost","info":{"from":"n2"}}\n\n');
  t.is(host?.disconnect({ user: 'nobody' }), 0);
  await system.stop();
});
