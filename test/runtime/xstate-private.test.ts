import test from 'ava';
import { createRequire } from 'node:module';
import { createActor, createMachine, emit } from 'xstate';
import { forgetStartOptions, idleListeners } from '../../src/actors/idle-listeners.ts';
import { supervisorLogic } from '../../src/actors/supervisor.ts';

// The supervisor replaces a private field of started actors (`options`, 0.4 KB each on Node 20's V8:
// docs/decisions.md). If xstate renames or stops keeping it, this fails loudly instead of the
// optimisation silently doing nothing (or breaking an actor).
const xstateVersion = (createRequire(import.meta.url)('xstate/package.json') as { version: string }).version;

test(`xstate is the minor the private field was checked on (5.33.x; installed ${xstateVersion})`, (t) => {
  t.regex(xstateVersion, /^5\.33\./, 'package.json pins xstate ~5.33: re-check forgetStartOptions before moving the pin');
});

test('a started actor keeps its merged options in `options`, with the input; forgetStartOptions swaps in a shared empty object', (t) => {
  const input = { children: [], intensity: { maxRestarts: 1, withinMs: 1000 }, now: () => 0 };
  const actor = createActor(supervisorLogic, { input });
  actor.start();
  const options = (actor as unknown as { options?: { input?: unknown } }).options;
  t.is(typeof options, 'object', 'xstate no longer keeps `options` on the actor');
  t.is(options?.input, input, 'xstate no longer keeps the input in `options`');
  forgetStartOptions(actor);
  const after = (actor as unknown as { options?: object }).options;
  t.deepEqual(after, {});
  t.true(Object.isFrozen(after));
  // The actor still works: it takes and answers events.
  actor.send({ type: 'supervisor.stop_child', id: 'none' });
  t.is(actor.getSnapshot().status, 'active');
  actor.stop();
});

test('a started actor keeps empty `observers` (Set) and `eventListeners` (Map); idleListeners swaps one stand-in for both, and a later subscribe or on() still works', (t) => {
  const machine = createMachine({ initial: 'a', states: { a: { on: { go: { target: 'b', actions: emit({ type: 'moved' }) } } }, b: { on: { go: 'a' } } } });
  const actor = createActor(machine);
  actor.start();
  const fields = actor as unknown as { observers?: unknown; eventListeners?: unknown };
  t.true(fields.observers instanceof Set, 'xstate no longer keeps `observers` as a Set');
  t.true(fields.eventListeners instanceof Map, 'xstate no longer keeps `eventListeners` as a Map');
  idleListeners(actor);
  t.is(fields.observers, fields.eventListeners, 'one stand-in serves both');
  t.false(fields.observers instanceof Set);
  // Transitions with nobody listening iterate the stand-in.
  actor.send({ type: 'go' });
  actor.send({ type: 'go' });
  const seen: string[] = [];
  const emitted: string[] = [];
  const subscription = actor.subscribe((snapshot) => seen.push(String(snapshot.value)));
  actor.on('moved', (event) => emitted.push(event.type));
  t.true(fields.observers instanceof Set, 'the first subscriber gets a real Set');
  t.true(fields.eventListeners instanceof Map, 'the first listener gets a real Map');
  actor.send({ type: 'go' });
  t.deepEqual(seen, ['b']);
  t.deepEqual(emitted, ['moved']);
  subscription.unsubscribe();
  actor.stop();
  t.is(actor.getSnapshot().status, 'stopped');
});
