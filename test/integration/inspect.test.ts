import test from 'ava';
import type { AnyActorRef, InspectionEvent } from 'xstate';
import { createSystem } from '../../src/index.ts';
import { SseClient, startServer, eventually } from '../helpers/sse-client.ts';

test('the inspect option sees every actor and each connection machine going open → streaming → closed', async (t) => {
  const events: InspectionEvent[] = [];
  const system = createSystem({ topics: ['news'], keepAlive: 0, partitions: 2, inspect: (e) => events.push(e) });
  const srv = await startServer(system);
  t.teardown(srv.close);
  const actorIds = () => [...new Set(events.filter((e) => e.type === '@xstate.actor').map((e) => (e.actorRef as AnyActorRef).id))];
  t.deepEqual(actorIds(), ['root', 'registry', 'history', 'partition-0', 'partition-1']);

  const client = await SseClient.connect(`${srv.url}/stream?topics=news&initial=x`);
  await client.untilEvents(1);
  const [conn] = system.snapshot().connections;
  t.truthy(conn);
  t.deepEqual(actorIds(), ['root', 'registry', 'history', 'partition-0', 'partition-1', conn?.id]);
  client.close();
  await eventually(() => system.snapshot().connections.length === 0);

  const states = events
    .filter((e): e is Extract<InspectionEvent, { type: '@xstate.snapshot' }> => e.type === '@xstate.snapshot' && (e.actorRef as AnyActorRef).id === conn?.id)
    .map((e) => {
      const s = e.snapshot as unknown as { value: string; status: string };
      return `${s.value}/${s.status}`;
    });
  t.deepEqual(states, ['streaming/active', 'closed/done']);
  // The machine's context is the connection handle, which serializes without the socket.
  const snap = events.find((e) => e.type === '@xstate.snapshot' && (e.actorRef as AnyActorRef).id === conn?.id) as unknown as { snapshot: { context: unknown } };
  t.deepEqual(JSON.parse(JSON.stringify(snap.snapshot.context)), {
    handle: { id: conn?.id, topics: ['news'], delivered: 0, mailbox: 0, dropped: 0 },
  });
});

test('a throwing inspect callback does not break streaming', async (t) => {
  const errors: unknown[][] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => errors.push(args);
  t.teardown(() => (console.error = original));
  const system = createSystem({
    topics: ['news'],
    keepAlive: 0,
    inspect: () => {
      throw new Error('inspector bug');
    },
  });
  const srv = await startServer(system);
  t.teardown(srv.close);
  const client = await SseClient.connect(`${srv.url}/stream?topics=news`);
  await eventually(() => system.snapshot().connections.length === 1);
  system.notify({ id: 1, topic: 'news', data: { data: 'ok' } });
  await client.untilEvents(1);
  t.is(client.raw, 'id: 1\ndata: ok\n\n');
  t.is(errors.length, 1);
  t.is(errors[0]?.[0], '[sse-actors] the inspect callback threw (reported once):');
  client.close();
});

test('the inspect observer sees @xstate.actor for every connection actor, and again for a killed one restarted', async (t) => {
  const actors: string[] = [];
  const errors: string[] = [];
  const system = createSystem({
    topics: ['news'],
    keepAlive: 0,
    partitions: 2,
    inspect: (e) => {
      if (e.type === '@xstate.actor') actors.push((e.actorRef as AnyActorRef).id);
      if (e.type === '@xstate.event' && e.event.type.startsWith('xstate.error.actor.')) errors.push(`${(e.actorRef as AnyActorRef).id}: ${e.event.type}`);
    },
  });
  const srv = await startServer(system);
  t.teardown(srv.close);
  const clients = await Promise.all([1, 2, 3].map(() => SseClient.connect(`${srv.url}/stream?topics=news`)));
  await eventually(() => system.snapshot().connections.filter((c) => c.state === 'streaming').length === 3, 5000, '3 streaming');
  t.deepEqual(actors, ['root', 'registry', 'history', 'partition-0', 'partition-1', 'c0', 'c1', 'c2']);

  system.exit('c1', 'kill');
  await eventually(() => system.snapshot().connections.find((c) => c.id === 'c1')?.restarts === 1, 5000, 'c1 restarted');
  // The restarted actor is a new actor under the same id, supervised by the same partition.
  t.deepEqual(actors, ['root', 'registry', 'history', 'partition-0', 'partition-1', 'c0', 'c1', 'c2', 'c1']);
  t.deepEqual(errors, ['partition-1: xstate.error.actor.c1']);
  system.notify({ id: 1, topic: 'news', data: { data: 'after the restart' } });
  await Promise.all(clients.map((client) => client.untilEvents(1)));
  t.deepEqual(clients.map((client) => client.raw), Array(3).fill('id: 1\ndata: after the restart\n\n'));
  for (const client of clients) client.close();
});
