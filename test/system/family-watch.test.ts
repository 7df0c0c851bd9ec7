import test from 'ava';
import { createSystem, type Transport, type TransportHost, type TransportMessage } from '../../src/index.ts';
import { SseClient, startServer, eventually } from '../helpers/sse-client.ts';

/**
 * A selective transport in memory, shaped like Redis: one log per topic shared by every "node",
 * a node gets a runtime topic only while it follows it, and a publish that creates a log announces
 * the name to the nodes watching its family (asynchronously, as a read would).
 */
function bus() {
  const logs = new Map<string, TransportMessage[]>();
  // followed: topic → the index of the next entry this node delivers (as Redis's last id per stream).
  const nodes: Array<{ host: TransportHost; followed: Map<string, number>; watched: Map<string, (topic: string) => void> }> = [];
  const calls: string[] = [];
  const node = (name: string): Transport<void> => {
    const me = { host: undefined as unknown as TransportHost, followed: new Map<string, number>(), watched: new Map<string, (topic: string) => void>() };
    return {
      kind: 'fake',
      start: (host) => {
        me.host = host;
        nodes.push(me);
      },
      publish: (message) => {
        const log = logs.get(message.topic) ?? [];
        const fresh = !logs.has(message.topic);
        logs.set(message.topic, [...log, message]);
        const at = log.length;
        setImmediate(() => {
          for (const n of nodes) {
            const next = n.followed.get(message.topic);
            if (n.host.topics.includes(message.topic) || (next !== undefined && at >= next)) n.host.deliver(message);
            if (next !== undefined && at >= next) n.followed.set(message.topic, at + 1);
          }
          if (fresh) for (const n of nodes) for (const [family, announced] of n.watched) if (message.topic.startsWith(family.slice(0, -1))) announced(message.topic);
        });
      },
      status: () => ({ kind: 'fake', state: 'connected', lagMs: 0, pending: 0 }),
      stop: async () => undefined,
      follow: async (topic) => {
        calls.push(`${name} follow ${topic}`);
        const log = logs.get(topic) ?? [];
        me.followed.set(topic, log.length); // reading starts right after what is returned
        return [...log];
      },
      unfollow: (topic) => {
        calls.push(`${name} unfollow ${topic}`);
        me.followed.delete(topic);
      },
      watch: async (family, announced) => {
        calls.push(`${name} watch ${family}`);
        me.watched.set(family, announced);
      },
      unwatch: (family) => {
        calls.push(`${name} unwatch ${family}`);
        me.watched.delete(family);
      },
    };
  };
  return { node, calls };
}

const ids = (client: SseClient): string[] => client.events.map((f) => f.id ?? '');

test('FamilyWatch: only a pattern subscriber makes a node watch; an announced name is followed with its first event, kept while the pattern lives, released and reclaimed after', async (t) => {
  const { node, calls } = bus();
  const make = (name: string) => createSystem({ topics: ['news', 'room.*'], keepAlive: 0, node: name, history: { size: 10, ttlMs: 0 }, transport: node(name) });
  const a = make('A');
  const b = make('B');
  const srv = await startServer(b);
  t.teardown(async () => {
    await a.stop();
    await srv.close();
  });
  const named = await SseClient.connect(`${srv.url}/stream?topics=room.1`);
  await eventually(() => b.snapshot().connections[0]?.state === 'streaming', 5000, 'a named stream');
  t.false(calls.some((call) => call.includes('watch')), 'no pattern subscriber, no watch');

  const sub = await SseClient.connect(`${srv.url}/stream?topics=${encodeURIComponent('room.*')}`);
  await eventually(() => b.snapshot().connections.filter((c) => c.state === 'streaming').length === 2, 5000, 'the pattern stream');
  t.deepEqual(calls.filter((call) => call.includes('watch')), ['B watch room.*'], 'one watch for the family');
  a.notify({ topic: 'room.9', id: 'r1', data: { data: 'first' } });
  a.notify({ topic: 'room.9', id: 'r2', data: { data: 'second' } });
  await sub.untilEvents(2);
  t.deepEqual(ids(sub), ['r1', 'r2'], 'the announced name\'s history is fanned out: its first event included, once');
  t.true(calls.includes('B follow room.9'));
  t.false(calls.includes('A follow room.9'), 'A has no subscriber');

  named.close(); // room.1 had a named subscriber only; the pattern matches it too: it stays followed
  await eventually(() => b.snapshot().connections.length === 1, 5000, 'the named stream gone');
  t.false(calls.includes('B unfollow room.1'), 'held for the pattern');
  a.notify({ topic: 'room.1', id: 'o1', data: { data: 'one' } });
  await sub.untilEvents(3);
  t.is(ids(sub).at(-1), 'o1');

  sub.close();
  await eventually(() => b.snapshot().connections.length === 0, 5000, 'the pattern stream gone');
  t.true(calls.includes('B unwatch room.*'));
  t.true(calls.includes('B unfollow room.9') && calls.includes('B unfollow room.1'), 'released with the last pattern subscriber');
  await eventually(() => b.snapshot().topicCount.live === 1, 5000, 'room.1 and room.9 reclaimed on B');
});

test('FamilyWatch: a restarted registry reports its patterns again: the family stays watched once, its names followed, events flow', async (t) => {
  const { node, calls } = bus();
  const make = (name: string) => createSystem({ topics: ['news', 'room.*'], keepAlive: 0, node: name, history: { size: 10, ttlMs: 0 }, transport: node(name) });
  const a = make('A');
  const b = make('B');
  const srv = await startServer(b);
  t.teardown(async () => {
    await a.stop();
    await srv.close();
  });
  const sub = await SseClient.connect(`${srv.url}/stream?topics=${encodeURIComponent('room.*')}`);
  await eventually(() => b.snapshot().connections[0]?.state === 'streaming', 5000, 'the pattern stream');
  a.notify({ topic: 'room.9', id: 'r1', data: { data: 'first' } });
  await sub.untilEvents(1);
  b.exit('registry');
  await eventually(() => b.snapshot().status === 'running' && b.snapshot().escalations === 0, 5000, 'the registry restarted');
  a.notify({ topic: 'room.9', id: 'r2', data: { data: 'second' } });
  a.notify({ topic: 'room.5', id: 'f1', data: { data: 'five' } });
  await sub.untilEvents(3);
  t.deepEqual([...ids(sub)].sort(), ['f1', 'r1', 'r2']);
  t.deepEqual(calls.filter((call) => call.startsWith('B') && call.includes('watch')), ['B watch room.*']);
  t.false(calls.includes('B unfollow room.9'));
  sub.close();
  await eventually(() => calls.includes('B unwatch room.*'), 5000, 'unwatched with the last pattern subscriber');
});
