import test from 'ava';
import type { AddressInfo } from 'node:net';
import { createInspectedDemo } from '../../examples/inspect/offline.ts';
import type { Transition } from '../../examples/inspect/recorder.ts';
import { STREAM_PATH } from '../../examples/exchange-rates/app.ts';
import { SseClient, eventually, get } from '../helpers/sse-client.ts';

test('offline inspection: the recorder prints and serves every actor of the demo, a kill and restart included', async (t) => {
  const printed: string[] = [];
  // A ticker slower than the test: its only transitions are its start.
  const { demo, recorder, server } = createInspectedDemo({ tickMs: 3_600_000, keepAlive: 0, recorder: { print: (line) => printed.push(line) } });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(async () => {
    await demo.stop();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const a = await SseClient.connect(`${url}${STREAM_PATH}`);
  const b = await SseClient.connect(`${url}${STREAM_PATH}`);
  await Promise.all([a.untilEvents(1), b.untilEvents(1)]);
  await eventually(() => recorder.statesOf('c0').length === 1 && recorder.statesOf('c1').length === 1, 5000, 'both connections streaming');
  demo.system.exit('c0', 'kill');
  await eventually(() => recorder.statesOf('c0').length === 2, 5000, 'c0 restarted');
  b.close();
  await eventually(() => recorder.statesOf('c1').at(-1) === 'closed', 5000, 'c1 closed');

  const served = await get(`${url}/_inspect`);
  t.is(served.status, 200);
  const { transitions } = JSON.parse(served.body) as { transitions: Transition[] };
  const starts = transitions.filter((tr) => tr.kind === 'start').map((tr) => `${tr.actor}<${tr.value}`);
  const partitions = Array.from({ length: 8 }, (_, n) => `partition-${n}<root`); // the default: 8
  t.deepEqual(starts, ['root<-', 'registry<root', 'history<root', ...partitions, 'ticker<-', 'c0<partition-0', 'c1<partition-1', 'c0<partition-0']);
  t.deepEqual(recorder.statesOf('ticker'), ['running']);
  t.deepEqual(recorder.statesOf('c0'), ['streaming', 'streaming']);
  t.deepEqual(recorder.statesOf('c1'), ['streaming', 'closed']);
  t.is(recorder.startsOf('c0'), 2);
  const received = (actor: string) => transitions.filter((tr) => tr.actor === actor && tr.kind === 'event').map((tr) => tr.value);
  t.deepEqual(received('c0'), ['xstate.init', 'sse.exit.kill', 'xstate.init']);
  t.deepEqual(received('c1'), ['xstate.init', 'sink.closed']);
  t.true(received('partition-0').includes('xstate.error.actor.c0'));
  // Printed: starts and state changes, in order; received events are not printed by default.
  t.deepEqual(
    printed.filter((line) => /\] c[01] /.test(line)),
    [
      '[inspect] c0           started (parent partition-0)',
      '[inspect] c0           → streaming',
      '[inspect] c1           started (parent partition-1)',
      '[inspect] c1           → streaming',
      '[inspect] c0           started (parent partition-0)',
      '[inspect] c0           → streaming',
      '[inspect] c1           → closed',
    ],
  );
  a.close();
});
