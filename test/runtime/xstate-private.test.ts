import test from 'ava';
import { createRequire } from 'node:module';
import { createActor } from 'xstate';
import { forgetStartOptions, supervisorLogic } from '../../src/actors/supervisor.ts';

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
