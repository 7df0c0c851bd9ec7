import test from 'ava';
import type { AnyActorRef, InspectionEvent } from 'xstate';
import { createSystem, SystemStoppedError, UnknownActorError, type EscalationReport, type SseSystem } from '../../src/index.ts';
import { SseClient, startServer, eventually } from '../helpers/sse-client.ts';

const ids = (client: SseClient) => client.events.map((f) => f.id);

async function streaming(system: SseSystem, count: number): Promise<void> {
  await eventually(() => {
    const { connections } = system.snapshot();
    return connections.length === count && connections.every((c) => c.state === 'streaming');
  }, 5000, `${count} streaming connections`);
}

function publish(system: SseSystem, from: number, to: number, topic = 'a'): string[] {
  const out: string[] = [];
  for (let i = from; i < to; i++) {
    system.notify({ id: i, topic, data: { data: `e${i}` } });
    out.push(String(i));
  }
  return out;
}

test('kill a connection actor mid-stream: the same response goes on, every id once, in order', async (t) => {
  const system = createSystem({ topics: ['a'], keepAlive: 0 });
  const srv = await startServer(system);
  t.teardown(srv.close);
  const client = await SseClient.connect(`${srv.url}/stream?topics=a&initial=hi`);
  await streaming(system, 1);
  const [conn] = system.snapshot().connections;
  const sent = publish(system, 0, 5);
  await client.untilEvents(6);
  system.exit(conn?.id ?? '', 'kill');
  sent.push(...publish(system, 5, 10)); // queued while the new actor takes over
  system.exit(conn?.id ?? '', 'kill'); // again, with events waiting in the mailbox
  sent.push(...publish(system, 10, 15));
  await client.untilEvents(16);
  t.deepEqual(ids(client).slice(1), sent);
  t.false(client.ended);
  t.is(client.raw.startsWith('data: hi\n\n'), true);
  t.is(client.raw.split('data: hi').length, 2, 'the initial chunk is not repeated');
  const after = system.snapshot().connections;
  t.deepEqual(after.map((c) => [c.id, c.state, c.restarts]), [[conn?.id, 'streaming', 2]]);
  t.is(system.snapshot().topics[0]?.subscribers, 1, 'still subscribed once');
  client.close();
});

test('kill the registry while a publisher runs: every client gets every event once', async (t) => {
  const system = createSystem({ topics: ['a', 'b'], keepAlive: 0 });
  const srv = await startServer(system);
  t.teardown(srv.close);
  const clients = await Promise.all(Array.from({ length: 20 }, (_, i) => SseClient.connect(`${srv.url}/stream?topics=${i % 2 ? 'a' : 'a,b'}`)));
  await streaming(system, 20);
  const sentA: string[] = [];
  const sentAll: string[] = [];
  for (let i = 0; i < 2000; i++) {
    const topic = i % 3 === 0 ? 'b' : 'a';
    system.notify({ id: i, topic, data: { data: `e${i}` } });
    sentAll.push(String(i));
    if (topic === 'a') sentA.push(String(i));
    if (i % 700 === 200) system.exit('registry', 'kill'); // 3 kills: within the default intensity
    if (i % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  await Promise.all(clients.map((c, i) => c.untilEvents(i % 2 ? sentA.length : sentAll.length, 20_000)));
  const wrong = clients.filter((c, i) => JSON.stringify(ids(c)) !== JSON.stringify(i % 2 ? sentA : sentAll));
  t.is(wrong.length, 0);
  const snap = system.snapshot();
  t.deepEqual(snap.actors.find((a) => a.id === 'registry'), { id: 'registry', restarts: 3 });
  t.deepEqual(snap.topics.map((x) => x.subscribers), [20, 10]);
  for (const c of clients) c.close();
});

test('kill the history: it keeps its events, so replay still works', async (t) => {
  const system = createSystem({ topics: ['a'], keepAlive: 0 });
  const srv = await startServer(system);
  t.teardown(srv.close);
  publish(system, 0, 5);
  system.exit('history', 'kill');
  publish(system, 5, 8);
  const client = await SseClient.connect(`${srv.url}/stream?topics=a`, { 'last-event-id': '2' });
  await client.untilEvents(5);
  t.deepEqual(ids(client), ['3', '4', '5', '6', '7']);
  t.deepEqual(system.snapshot().actors.find((a) => a.id === 'history'), { id: 'history', restarts: 1 });
  t.throws(() => publish(system, 7, 8), { message: /already notified/ }); // its id index survived too
  client.close();
});

test('more kills of one connection than maxRestarts within the window: that stream ends with a retry hint, others go on, escalation reported', async (t) => {
  const reports: EscalationReport[] = [];
  const system = createSystem({ topics: ['a'], keepAlive: 0, restart: { maxRestarts: 3, withinMs: 60_000 }, onEscalation: (r) => reports.push(r) });
  const srv = await startServer(system);
  t.teardown(srv.close);
  const victim = await SseClient.connect(`${srv.url}/stream?topics=a&initial=v`);
  const bystander = await SseClient.connect(`${srv.url}/stream?topics=a&initial=b`);
  await streaming(system, 2);
  await victim.untilEvents(1);
  const victimConn = system.snapshot().connections[0]?.id as string; // c0: the victim connected first
  t.is(victimConn, 'c0');
  for (let k = 0; k < 3; k++) system.exit(victimConn, 'kill');
  t.is(system.snapshot().connections.find((c) => c.id === victimConn)?.restarts, 3);
  t.deepEqual(reports, []);
  system.exit(victimConn, 'kill'); // the 4th within the window
  await victim.untilEnded();
  t.regex(victim.raw, /^data: v\n\nretry: \d+\n\n$/);
  t.is(reports.length, 1);
  t.like(reports[0], { supervisor: 'partition-0', actor: victimConn, maxRestarts: 3, withinMs: 60_000, scope: 'child' });
  t.is((reports[0]?.error as Error).message, `Actor "${victimConn}" was killed (system.exit(id, 'kill'))`);
  await streaming(system, 1);
  publish(system, 0, 3);
  await bystander.untilEvents(4);
  t.deepEqual(ids(bystander).slice(1), ['0', '1', '2']);
  t.is(system.snapshot().escalations, 1);
  t.is(system.snapshot().status, 'running');
  t.throws(() => system.exit(victimConn), { instanceOf: UnknownActorError });
  bystander.close();
});

test("exit 'normal': a connection ends gracefully and is not restarted; the registry is restarted fresh", async (t) => {
  const system = createSystem({ topics: ['a'], keepAlive: 0 });
  const srv = await startServer(system);
  t.teardown(srv.close);
  const a = await SseClient.connect(`${srv.url}/stream?topics=a&initial=a`);
  const b = await SseClient.connect(`${srv.url}/stream?topics=a&initial=b`);
  await streaming(system, 2);
  const [first] = system.snapshot().connections;
  system.exit(first?.id as string, 'normal');
  const ended = [a, b].find((c) => c.raw.startsWith(first?.id === 'c0' ? 'data: a' : 'data: b'));
  await eventually(() => system.snapshot().connections.length === 1);
  system.exit('registry', 'normal');
  t.deepEqual(system.snapshot().actors.find((x) => x.id === 'registry'), { id: 'registry', restarts: 1 });
  publish(system, 0, 2);
  const other = ended === a ? b : a;
  await other.untilEvents(3);
  t.deepEqual(ids(other).slice(1), ['0', '1']);
  await ended?.untilEnded();
  t.regex(ended?.raw ?? '', /^data: [ab]\n\nretry: \d+\n\n$/);
  t.is(system.snapshot().escalations, 0);
  other.close();
});

test('the registry crashing past the intensity fails the system: streams end, it says why, the process lives on', async (t) => {
  const reports: EscalationReport[] = [];
  const system = createSystem({ topics: ['a'], keepAlive: 0, restart: { maxRestarts: 2, withinMs: 60_000 }, onEscalation: (r) => reports.push(r) });
  const srv = await startServer(system);
  t.teardown(srv.close);
  const client = await SseClient.connect(`${srv.url}/stream?topics=a&initial=x`);
  await streaming(system, 1);
  system.exit('registry', 'kill');
  system.exit('registry', 'kill');
  t.is(system.snapshot().status, 'running');
  system.exit('registry', 'kill');
  t.is(system.snapshot().status, 'failed');
  t.like(reports[0], { supervisor: 'root', actor: 'registry', maxRestarts: 2, scope: 'supervisor' });
  await client.untilEnded();
  t.regex(client.raw, /^data: x\n\nretry: \d+\n\n$/);
  const error = t.throws(() => system.notify({ id: 1, topic: 'a', data: { data: 'x' } }), { instanceOf: SystemStoppedError });
  t.is(error?.message, 'Cannot notify: the SSE system failed (Supervisor "root" gave up: child "registry" needed more than 2 restarts within 60000 ms (last error: Actor "registry" was killed (system.exit(id, \'kill\'))))');
  t.deepEqual(system.snapshot().connections, []);
  await system.stop(); // resolves on a failed system too
});

test('exit with an unknown id or reason is a clear error', (t) => {
  const system = createSystem({ topics: ['a'], keepAlive: 0 });
  const error = t.throws(() => system.exit('c42'), { instanceOf: UnknownActorError });
  t.is(error?.message, `No actor "c42" to exit: use 'registry', 'history', or a connection id listed by system.snapshot() (a connection that already closed is gone)`);
  t.throws(() => system.exit('partition-0'), { instanceOf: UnknownActorError });
  t.throws(() => system.exit('registry', 'shutdown' as 'kill'), { instanceOf: TypeError });
});

test('the inspector sees a restart: the old connection actor fails, a new one with the same id starts', async (t) => {
  const events: InspectionEvent[] = [];
  const system = createSystem({ topics: ['a'], keepAlive: 0, inspect: (e) => events.push(e) });
  const srv = await startServer(system);
  t.teardown(srv.close);
  const client = await SseClient.connect(`${srv.url}/stream?topics=a&initial=x`);
  await streaming(system, 1);
  const id = system.snapshot().connections[0]?.id as string;
  const oldSession = (events.find((e) => e.type === '@xstate.actor' && (e.actorRef as AnyActorRef).id === id)?.actorRef as AnyActorRef).sessionId;
  const mark = events.length;
  system.exit(id, 'kill');
  const seen = events.slice(mark).flatMap((e) => {
    const ref = e.actorRef as AnyActorRef;
    if (e.type === '@xstate.event' && e.event.type === `xstate.error.actor.${id}`) return [`${ref.id} hears ${id} (${(e.sourceRef as AnyActorRef).sessionId === oldSession ? 'old' : 'new'}) failed`];
    if (ref.id !== id) return [];
    const who = ref.sessionId === oldSession ? 'old' : 'new';
    if (e.type === '@xstate.actor') return [`${who} ${id} created`];
    if (e.type === '@xstate.snapshot') return [`${who} ${id} ${(e.snapshot as { status: string }).status}/${(e.snapshot as { value?: string }).value}`];
    return [];
  });
  t.deepEqual(seen, [`partition-0 hears ${id} (old) failed`, `new ${id} created`, `new ${id} active/streaming`]);
  client.close();
});

test('a connection killed while its stream is ending carries on ending it', async (t) => {
  const system = createSystem({ topics: ['a'], keepAlive: 0 });
  const srv = await startServer(system);
  t.teardown(srv.close);
  const client = await SseClient.connect(`${srv.url}/stream?topics=a&initial=x`);
  await streaming(system, 1);
  const id = system.snapshot().connections[0]?.id as string;
  client.res.pause(); // keep the stream from closing at once, so the kill lands in `closing`
  system.exit(id, 'normal');
  t.is(system.snapshot().connections[0]?.state, 'closing'); // the end is written; the socket has not closed yet
  system.exit(id, 'kill');
  t.deepEqual(system.snapshot().connections.map((c) => [c.state, c.restarts]), [['closing', 1]]);
  client.res.resume();
  await client.untilEnded();
  t.regex(client.raw, /^data: x\n\nretry: \d+\n\n$/, 'one retry hint, then the end: no second hint, no write after end');
  await eventually(() => system.snapshot().connections.length === 0);
});

test('a connection killed while blocked resumes without a gap once the client reads again', async (t) => {
  const system = createSystem({ topics: ['a'], keepAlive: 0, mailbox: { limit: 100_000 } });
  const srv = await startServer(system);
  t.teardown(srv.close);
  const client = await SseClient.connect(`${srv.url}/stream?topics=a`);
  await streaming(system, 1);
  const id = system.snapshot().connections[0]?.id as string;
  client.res.pause();
  const big = 'x'.repeat(4096);
  let n = 0;
  // Publish until the server sees the socket push back.
  while (system.snapshot().connections[0]?.state !== 'blocked' && n < 20_000) {
    for (let i = 0; i < 100; i++, n++) system.notify({ id: n, topic: 'a', data: { data: big } });
    await new Promise((resolve) => setImmediate(resolve));
  }
  t.is(system.snapshot().connections[0]?.state, 'blocked');
  system.exit(id, 'kill');
  for (let i = 0; i < 10; i++, n++) system.notify({ id: n, topic: 'a', data: { data: 'after' } });
  client.res.resume();
  await client.untilEvents(n, 30_000);
  t.deepEqual(client.events.map((f) => f.id), Array.from({ length: n }, (_, i) => String(i)));
  t.is(system.snapshot().connections[0]?.restarts, 1);
  client.close();
});
