import test from 'ava';
import { createActor } from 'xstate';
import { registryLogic, SUBSCRIBE, UNSUBSCRIBE } from '../../src/actors/registry.ts';
import { supervisorLogic, START_CHILD, STOP_CHILD } from '../../src/actors/supervisor.ts';
import { KILL, EXIT_NORMAL } from '../../src/actors/signals.ts';

// Hand-written logics return a new snapshot from each transition that changed something; effects
// (starting and stopping children) run after it, not inside it.
test('the registry answers each event with a new snapshot; kill fails it, normal ends it', (t) => {
  const actor = createActor(registryLogic<{ topics: string[] }>(), { input: { topics: ['a'], live: () => [] } }).start();
  const s0 = actor.getSnapshot();
  const sub = { topics: ['a'] };
  actor.send({ type: SUBSCRIBE, subscriber: sub });
  const s1 = actor.getSnapshot();
  t.not(s1, s0);
  t.is(s1.context.index.get('a')?.size, 1);
  actor.send({ type: UNSUBSCRIBE, subscriber: sub });
  t.not(actor.getSnapshot(), s1);
  t.is(actor.getSnapshot().context.index.get('a')?.size, 0);
  actor.send({ type: EXIT_NORMAL });
  t.is(actor.getSnapshot().status, 'done');
  const killed = createActor(registryLogic(), { input: { topics: [], live: () => [] } });
  killed.subscribe({ error: () => {} });
  killed.start();
  killed.send({ type: KILL });
  t.is(killed.getSnapshot().status, 'error');
});

test('a supervisor returns a new snapshot when it stops a child, and starts children after its transition', (t) => {
  const order: string[] = [];
  const child = { id: 'x', logic: registryLogic(), input: { topics: [], live: () => [] }, restart: 'temporary' as const, onStart: () => order.push('started'), onExit: () => order.push('exited') };
  const sup = createActor(supervisorLogic, { input: { intensity: { maxRestarts: 1, withinMs: 1000 }, now: () => 0 } }).start();
  const s0 = sup.getSnapshot();
  sup.send({ type: START_CHILD, spec: child });
  t.deepEqual(order, ['started']);
  t.true(sup.getSnapshot().context.children.has('x'));
  sup.send({ type: STOP_CHILD, id: 'x' });
  t.deepEqual(order, ['started', 'exited']);
  t.not(sup.getSnapshot(), s0);
  t.false(sup.getSnapshot().context.children.has('x'));
});
