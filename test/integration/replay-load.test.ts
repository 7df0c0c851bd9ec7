/**
 * Load: a publisher notifies 20,000 events on 2 topics in bursts of 50 per event-loop turn while 20
 * clients keep disconnecting and reconnecting with the last id they received. Every client must
 * end up with the full notified sequence of its topics, in order, once each, and no `sse-reset`.
 */
import test from 'ava';
import { createSystem, RESET_EVENT } from '../../src/index.ts';
import { startServer, eventually } from '../helpers/sse-client.ts';
import { Session, trackStreams, within, prng, AROUND_HEADER, type ReceivedFrame, type TrackedStream } from '../helpers/replay-session.ts';

const TOPICS = ['a', 'b'];
const TOTAL = 20_000;
const BURST = 50;
const CLIENTS = 20;
const INITIAL = 'hi';
const WAIT_MS = 20_000;

interface Client {
  topics: string[];
  sessions: Session[];
  current: Session;
}

const isInitial = (frame: ReceivedFrame | undefined) => frame?.id === undefined && frame?.event === undefined && frame?.data === INITIAL;

/** The first index where the two lists differ, with both sides, or undefined when they are equal. */
function firstDifference(got: string[], want: string[]): { index: number; got: string | undefined; want: string | undefined } | undefined {
  const length = Math.max(got.length, want.length);
  for (let index = 0; index < length; index++) {
    if (got[index] !== want[index]) return { index, got: got[index], want: want[index] };
  }
  return undefined;
}

test('20 clients reconnecting with Last-Event-ID under a 20,000-event publisher get every event once, in order', async (t) => {
  const started = Date.now();
  // History keeps everything and mailboxes never overflow: this test is about replay alone
  // (overflow is a separate case, below).
  const system = createSystem({ topics: TOPICS, keepAlive: 0, history: { size: TOTAL, ttlMs: 60_000 }, mailbox: { limit: 2 * TOTAL } });
  /** topicOf[n] is the topic of event id String(n + 1). */
  const topicOf: string[] = [];
  const streams = new Map<string, TrackedStream>();
  const srv = await startServer(system, (app) => trackStreams(app, streams, { stamp: () => topicOf.length }));
  t.teardown(srv.close);

  const progress = new Set<() => void>();
  const untilPublished = (n: number) =>
    within(
      new Promise<void>((resolve) => {
        const check = () => {
          if (topicOf.length < n) return;
          progress.delete(check);
          resolve();
        };
        progress.add(check);
        check();
      }),
      WAIT_MS,
      `${n} events published`,
    );

  const expectedFor = (client: Client) => {
    const ids: string[] = [];
    topicOf.forEach((topic, n) => {
      if (client.topics.includes(topic)) ids.push(String(n + 1));
    });
    return ids;
  };
  const lastIdOf = (client: Client) => client.sessions.findLast((s) => s.lastId !== undefined)?.lastId;
  const listed = (connectionId: string | null | undefined) => system.snapshot().connections.some((c) => c.id === connectionId);

  let reconnects = 0;
  let duringPublishing = 0;
  let replayed = 0;
  const open = async (topics: string[], lastId: string | undefined, viaQuery: boolean) => {
    let url = `${srv.url}/stream?topics=${topics.join(',')}&initial=${INITIAL}`;
    if (lastId !== undefined && viaQuery) url += `&lastEventId=${lastId}`;
    return Session.open(url, lastId !== undefined && !viaQuery ? { 'last-event-id': lastId } : {});
  };

  const clients: Client[] = [];
  for (let i = 0; i < CLIENTS; i++) {
    const topics = i % 3 === 0 ? ['a'] : i % 3 === 1 ? ['b'] : ['a', 'b'];
    const session = await open(topics, undefined, false);
    clients.push({ topics, sessions: [session], current: session });
  }

  const publisher = (async () => {
    const random = prng(0x5eed);
    while (topicOf.length < TOTAL) {
      for (let i = 0; i < BURST && topicOf.length < TOTAL; i++) {
        const topic = random() < 0.5 ? 'a' : 'b';
        const id = String(topicOf.length + 1);
        system.notify({ id, topic, data: { data: `${topic}:${id}` } });
        topicOf.push(topic);
      }
      for (const check of [...progress]) check();
      await new Promise((resolve) => setImmediate(resolve));
    }
  })();

  const churn = async (client: Client, i: number) => {
    const rounds = 5 + (i % 6);
    // A client that never received an event has no id to come back with: wait for its first one.
    await client.current.until(() => client.current.ids.length > 0, WAIT_MS, 'a first event');
    for (let k = 0; k < rounds; k++) {
      // Staggered: client i's k-th reconnect starts once this many events were published.
      await untilPublished(Math.floor((TOTAL * (k + (i + 1) / (CLIENTS + 1))) / rounds));
      const old = client.current;
      const connectionId = streams.get(old.key)?.connectionId;
      old.close();
      // Half the time wait until the server dropped the old stream; otherwise come back at once.
      if ((i + k) % 2 === 0) await eventually(() => !listed(connectionId), WAIT_MS, `the server to drop ${connectionId}`);
      const lastId = lastIdOf(client) as string;
      const session = await open(client.topics, lastId, (i + k) % 5 === 0);
      const stamp = (streams.get(session.key) as TrackedStream).stamp;
      reconnects += 1;
      if (stamp < TOTAL) duringPublishing += 1;
      for (let n = Number(lastId); n < stamp; n++) if (client.topics.includes(topicOf[n] as string)) replayed += 1;
      client.sessions.push(session);
      client.current = session;
    }
  };

  await Promise.all([publisher, ...clients.map(churn)]);
  await Promise.all(
    clients.map((client) => {
      const last = expectedFor(client).at(-1);
      return client.current.until(() => client.current.lastId === last, WAIT_MS, `last id ${last}`);
    }),
  );

  for (const [i, client] of clients.entries()) {
    const frames = client.sessions.flatMap((s) => (isInitial(s.frames[0]) ? s.frames.slice(1) : s.frames));
    t.is(frames.filter((f) => f.event === RESET_EVENT).length, 0, `client ${i}: no ${RESET_EVENT}`);
    t.is(frames.filter((f) => f.id === undefined || f.event !== undefined).length, 0, `client ${i}: only events after each initial chunk`);
    t.is(frames.filter((f) => f.data !== `${topicOf[Number(f.id) - 1]}:${f.id}`).length, 0, `client ${i}: each event's data matches its id`);
    const expected = expectedFor(client);
    const got = frames.map((f) => f.id as string);
    t.is(firstDifference(got, expected), undefined, `client ${i} on ${client.topics.join(',')}: ${got.length} ids received, ${expected.length} notified`);
  }
  await eventually(
    () => {
      const connections = system.snapshot().connections;
      return connections.length === CLIENTS && clients.every((c) => connections.find((x) => x.id === streams.get(c.current.key)?.connectionId)?.lastEventId === c.current.lastId);
    },
    WAIT_MS,
    'the server to list exactly the current streams with their last ids',
  );
  t.is(reconnects, clients.reduce((sum, _c, i) => sum + 5 + (i % 6), 0));
  // The scenario happened as meant: reconnects overlapped the publisher (all of them, in practice).
  t.true(duringPublishing > 0, 'some reconnects opened their stream while the publisher was running');
  t.deepEqual(system.snapshot().counters, { dropped: 0, overflowClosed: 0, lifetimeEnded: 0, rejected: 0, busyFull: 0, busyStopping: 0, busyAuthorizeTimeout: 0, disconnected: 0 });
  t.log(`${TOTAL} events (${expectedFor({ topics: ['a'] } as Client).length} on a, ${expectedFor({ topics: ['b'] } as Client).length} on b), ${reconnects} reconnects (${duringPublishing} while publishing), ${replayed} replayed frames, ${Date.now() - started} ms`);
  for (const client of clients) client.current.close();
});

/**
 * A reconnect's replay is what the client missed, not a backlog it failed to read: it must not count
 * against the mailbox bound. With the defaults (history 1000 per topic, mailbox 1024 / 'close') a
 * client on two topics can be 1200 events behind and still within history; events notified before
 * the stream's first write (here: in the same synchronous step) must not cost it its replay.
 */
const bigReplay = test.macro({
  async exec(t, overflow: 'close' | 'drop-oldest' | 'drop-newest' | undefined) {
    const system = createSystem({ topics: TOPICS, keepAlive: 0, ...(overflow ? { mailbox: { overflow } } : {}) });
    const streams = new Map<string, TrackedStream>();
    // Right after ctx.sse returned (replay queued, stream subscribed): three live events.
    const live = ['live1', 'live2', 'live3'];
    const around = (_value: string, phase: 'before' | 'after') => {
      if (phase === 'after') for (const id of live) system.notify({ id, topic: 'a', data: { data: id } });
    };
    const srv = await startServer(system, (app) => trackStreams(app, streams, { around }));
    t.teardown(srv.close);
    system.notify({ id: 'start', topic: 'a', data: { data: 'start' } });
    const missed: string[] = [];
    for (let n = 1; n <= 600; n++) {
      for (const topic of TOPICS) {
        system.notify({ id: `${topic}${n}`, topic, data: { data: `${topic}${n}` } });
        missed.push(`${topic}${n}`);
      }
    }
    const session = await Session.open(`${srv.url}/stream?topics=a,b&initial=${INITIAL}`, { 'last-event-id': 'start', [AROUND_HEADER]: 'yes' });
    t.teardown(() => session.close());
    system.notify({ id: 'after', topic: 'b', data: { data: 'after' } });
    const waited = await session.until(() => session.lastId === 'after', 5000, 'the event notified after the stream opened').then(
      () => 'received',
      (error: Error) => error.message,
    );
    const got = session.frames.map((f) => (f.event === undefined ? (f.id ?? `(no id) ${f.data}`) : `${f.event} ${f.data}`));
    const want = [`(no id) ${INITIAL}`, ...missed, ...live, 'after'];
    t.deepEqual(
      { waited, ended: session.ended, frames: got.length, first: got.slice(0, 3), last: got.slice(-3), counters: system.snapshot().counters },
      { waited: 'received', ended: false, frames: want.length, first: want.slice(0, 3), last: want.slice(-3), counters: { dropped: 0, overflowClosed: 0, lifetimeEnded: 0, rejected: 0, busyFull: 0, busyStopping: 0, busyAuthorizeTimeout: 0, disconnected: 0 } },
    );
    t.is(firstDifference(got, want), undefined);
  },
  title: (_title, overflow) => `a reconnect 1200 events behind (within history) keeps its whole replay when an event comes before its first write (mailbox overflow: ${overflow ?? "default 'close'"})`,
});

test(bigReplay, undefined);
test(bigReplay, 'drop-oldest');
test(bigReplay, 'drop-newest');
