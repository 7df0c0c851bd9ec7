/**
 * Property: whatever the interleaving of notifies, disconnects and reconnects with `Last-Event-ID`,
 * every client ends up with every event of its topics exactly once, in notify order, with no
 * `sse-reset` (history is large enough to keep everything).
 *
 * Reproduce a failure with `FC_SEED=<seed printed by the test> npx ava test/integration/replay-property.test.ts`
 * (`FC_RUNS` changes the number of runs).
 */
import test from 'ava';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createSystem, RESET_EVENT } from '../../src/index.ts';
import { startServer, eventually } from '../helpers/sse-client.ts';
import { Session, trackStreams, AROUND_HEADER, type ReceivedFrame, type TrackedStream } from '../helpers/replay-session.ts';

const TOPICS = ['t0', 't1', 't2'];
const CLIENTS = 3;
const INITIAL = 'hello';
const WAIT_MS = 3000;
const DEFAULT_SEED = 20_240_917;
const NUM_RUNS = process.env.FC_RUNS === undefined ? 25 : Number(process.env.FC_RUNS);

/** How a reconnect passes the last id: the header, the query parameter, or both (the header must win). */
type Via = 'header' | 'query' | 'header-over-query';

type Command =
  | { kind: 'notify'; topic: number; count: number }
  | { kind: 'disconnect'; client: number }
  /** `around`: notify on each of the client's topics synchronously right before and right after its `ctx.sse`. */
  | { kind: 'reconnect'; client: number; via: Via; around: boolean }
  | { kind: 'flush' }
  | { kind: 'turn' };

const clientArb = fc.integer({ min: 0, max: CLIENTS - 1 });
const commandArb: fc.Arbitrary<Command> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('notify' as const), topic: fc.integer({ min: 0, max: TOPICS.length - 1 }), count: fc.integer({ min: 1, max: 8 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('disconnect' as const), client: clientArb }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('reconnect' as const), client: clientArb, via: fc.constantFrom<Via>('header', 'query', 'header-over-query'), around: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('flush' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('turn' as const) }) },
);
interface Scenario {
  subscriptions: number[][];
  commands: Command[];
}

const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  // Each client's fixed, non-empty subset of topics.
  subscriptions: fc.array(fc.subarray([0, 1, 2], { minLength: 1 }), { minLength: CLIENTS, maxLength: CLIENTS }),
  commands: fc.array(commandArb, { minLength: 1, maxLength: 80, size: 'max' }),
});

interface Notified {
  id: string;
  topic: string;
  data: string;
}

interface Client {
  topics: string[];
  /** Every session so far, the current one last; closed ones are frozen. */
  sessions: Session[];
  current: Session | undefined;
}

interface Stats {
  runs: number;
  notifies: number;
  reconnects: number;
  replayed: number;
}

const isInitial = (frame: ReceivedFrame | undefined) => frame?.id === undefined && frame?.event === undefined && frame?.data === INITIAL;

/** Frames a client has received over all its sessions, each session's leading initial chunk left out. */
function receivedEvents(client: Client): ReceivedFrame[] {
  return client.sessions.flatMap((s) => (isInitial(s.frames[0]) ? s.frames.slice(1) : s.frames));
}

function lastIdOf(client: Client): string | undefined {
  for (let i = client.sessions.length - 1; i >= 0; i--) {
    const id = client.sessions[i]?.lastId;
    if (id !== undefined) return id;
  }
  return undefined;
}

async function runScenario(scenario: Scenario, stats: Stats): Promise<void> {
  const system = createSystem({ topics: TOPICS, keepAlive: 0, history: { size: 10_000, ttlMs: 60_000 } });
  const notified: Notified[] = [];
  const streams = new Map<string, TrackedStream>();
  const notify = (topic: string) => {
    const id = String(notified.length + 1);
    const data = `${topic}#${id}`;
    system.notify({ id, topic, data: { data } });
    notified.push({ id, topic, data });
    stats.notifies += 1;
  };

  // `around` events are notified in the same synchronous step as the stream opens: the one before
  // must come by replay, the one after live; a gap between replay and subscribe would lose one.
  const around = (topics: string) => topics.split(',').forEach((topic) => notify(topic));
  const srv = await startServer(system, (app) => trackStreams(app, streams, { stamp: () => notified.length, around }));
  const clients: Client[] = scenario.subscriptions.map((subset) => ({ topics: subset.map((n) => TOPICS[n] as string), sessions: [], current: undefined }));
  const expectedFor = (client: Client) => notified.filter((e) => client.topics.includes(e.topic));
  const connectionOf = (session: Session) => streams.get(session.key)?.connectionId;
  const listed = (connectionId: string | null | undefined) => system.snapshot().connections.some((c) => c.id === connectionId);

  const connect = async (client: Client, via: Via, aroundStream = false) => {
    const lastId = lastIdOf(client);
    let url = `${srv.url}/stream?topics=${client.topics.join(',')}&initial=${INITIAL}`;
    const headers: Record<string, string> = aroundStream ? { [AROUND_HEADER]: client.topics.join(',') } : {};
    if (lastId !== undefined) {
      if (via === 'query') url += `&lastEventId=${lastId}`;
      // An id never notified: if the query won over the header, the client would get an sse-reset.
      if (via === 'header-over-query') url += '&lastEventId=never-notified';
      if (via !== 'query') headers['last-event-id'] = lastId;
      stats.reconnects += 1;
    }
    const session = await Session.open(url, headers);
    const tracked = streams.get(session.key);
    assert.ok(tracked?.connectionId, `ctx.sse gave session ${session.key} a connection id`);
    if (lastId !== undefined) {
      // Events notified after lastId and before the stream opened come by replay, the rest live.
      stats.replayed += expectedFor(client).filter((e) => Number(e.id) > Number(lastId) && Number(e.id) <= tracked.stamp).length;
    }
    client.sessions.push(session);
    client.current = session;
  };

  /** Waits until every connected client has every event notified so far on its topics. */
  const flush = async () => {
    await Promise.all(
      clients.map((client) => {
        const session = client.current;
        if (!session) return undefined;
        const want = expectedFor(client).length;
        return session.until(() => receivedEvents(client).length >= want, WAIT_MS, `${want} events for a client on ${client.topics.join(',')}`);
      }),
    );
  };

  try {
    for (const client of clients) await connect(client, 'header');
    // Warm-up: every client receives one event before anything else, so each reconnect has an id.
    for (const topic of TOPICS) notify(topic);
    await flush();

    for (const command of scenario.commands) {
      switch (command.kind) {
        case 'notify':
          for (let i = 0; i < command.count; i++) notify(TOPICS[command.topic] as string);
          break;
        case 'disconnect': {
          const client = clients[command.client] as Client;
          const session = client.current;
          if (!session) break;
          const connectionId = connectionOf(session);
          session.close();
          client.current = undefined;
          await eventually(() => !listed(connectionId), WAIT_MS, `the server to drop ${connectionId}`);
          break;
        }
        case 'reconnect': {
          // A connected client reconnects abruptly: the server may still hold its old stream meanwhile.
          const client = clients[command.client] as Client;
          client.current?.close();
          client.current = undefined;
          await connect(client, command.via, command.around);
          break;
        }
        case 'flush':
          await flush();
          break;
        case 'turn':
          await new Promise((resolve) => setImmediate(resolve));
          break;
      }
    }

    // Everyone comes back, then a last event per topic: once a client has the last one of its
    // topics, everything before it was written to its current stream (one stream writes in order).
    for (const client of clients) if (!client.current) await connect(client, 'header');
    for (const topic of TOPICS) notify(topic);
    await Promise.all(
      clients.map((client) => {
        const last = expectedFor(client).at(-1)?.id;
        return client.current?.until(() => client.current?.lastId === last, WAIT_MS, `last id ${last}`);
      }),
    );

    for (const [n, client] of clients.entries()) {
      for (const session of client.sessions) {
        // Every session starts with its initial chunk (a session closed early may hold nothing).
        if (session.frames.length > 0) assert.deepEqual(session.frames[0], { id: undefined, event: undefined, data: INITIAL }, `client ${n}: initial chunk first`);
        assert.equal(session.frames.filter((f) => f.event === RESET_EVENT).length, 0, `client ${n}: no ${RESET_EVENT}`);
      }
      assert.deepEqual(
        receivedEvents(client),
        expectedFor(client).map((e) => ({ id: e.id, event: undefined, data: e.data })),
        `client ${n} on ${client.topics.join(',')}: every event once, in notify order`,
      );
    }
    // Server side: exactly the current streams are left, each with the last id it wrote.
    const current = clients.map((client) => client.current as Session);
    await eventually(
      () => {
        const connections = system.snapshot().connections;
        return (
          connections.length === CLIENTS &&
          current.every((s) => {
            const c = connections.find((x) => x.id === connectionOf(s));
            return c !== undefined && c.lastEventId === s.lastId && c.delivered === s.ids.length;
          })
        );
      },
      WAIT_MS,
      `the server to list exactly the ${CLIENTS} current streams with their cursors; got ${JSON.stringify(system.snapshot().connections)}`,
    );
    stats.runs += 1;
  } finally {
    for (const client of clients) client.current?.close();
    await srv.close();
  }
}

test('replay property: any interleaving of notify/disconnect/reconnect delivers every event once, in order', async (t) => {
  const seed = process.env.FC_SEED === undefined ? DEFAULT_SEED : Number(process.env.FC_SEED);
  t.log(`fast-check seed ${seed}, ${NUM_RUNS} runs (FC_SEED=${seed} reproduces)`);
  const stats: Stats = { runs: 0, notifies: 0, reconnects: 0, replayed: 0 };
  const started = Date.now();
  try {
    await fc.assert(
      fc.asyncProperty(scenarioArb, (scenario) => runScenario(scenario, stats)),
      { seed, numRuns: NUM_RUNS },
    );
  } catch (error) {
    t.log(`FAILED with seed ${seed}: rerun with FC_SEED=${seed}`);
    // fast-check keeps the failing run's own error as `cause`; ava does not print it.
    t.log(String((error as { cause?: unknown }).cause));
    throw error;
  }
  t.log(`${stats.runs} runs, ${stats.notifies} events, ${stats.reconnects} reconnects, ${stats.replayed} replayed frames, ${Date.now() - started} ms`);
  t.is(stats.runs, NUM_RUNS);
});
