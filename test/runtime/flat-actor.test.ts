import test from 'ava';
import { inspectionDescriber } from '../helpers/inspection.ts';
import fc from 'fast-check';
import { createActor, type ActorLogic, type AnyActorRef, type Snapshot } from 'xstate';
import { FlatActor } from '../../src/runtime/flat-actor.ts';
import { markUninspected } from '../../src/runtime/xstate-system.ts';
import { flatMachine, isFlatLogic } from '../../src/runtime/flat-machine.ts';
import { connectionMachine } from '../../src/actors/connection-machine.ts';

// FlatActor against xstate's own Actor, running the same flat logic under the same parent: every
// inspection event (type, actor, session, source, event type, snapshot status and value), every
// event the parent hears, and the child's final snapshot must be the same, event for event.

type Ctx = { ref?: AnyActorRef; flag: boolean; log: string[] };
type Ev = { type: 'go' | 'hop' | 'end' | 'kill' | 'ping' | 'flip' };

const machine = flatMachine<Ctx, 'a' | 'b' | 'c' | 'z', Ev, Ctx>(
  {
    id: 'm',
    initial: 'a',
    context: ({ input }) => input,
    on: { kill: { actions: 'boom' }, ping: { actions: 'echo' }, flip: { actions: 'flip' } },
    states: {
      a: { entry: 'enterA', on: { go: 'b', end: 'z' } },
      b: { exit: 'leaveB', on: { go: 'a', hop: 'c', end: 'z' } },
      c: { always: [{ guard: 'flag', target: 'a' }, { target: 'b' }] },
      z: { type: 'final', entry: 'enterZ' },
    },
  },
  {
    actions: {
      boom: () => {
        throw new Error('boom');
      },
      // An event sent from inside an action waits until this one is done (run to completion).
      echo: ({ context }) => {
        context.log.push('echo');
        context.ref?.send({ type: 'go' });
        context.log.push('echo sent');
      },
      flip: ({ context }) => {
        context.flag = !context.flag;
      },
      enterA: ({ context }) => void context.log.push('enter a'),
      leaveB: ({ context }) => void context.log.push('leave b'),
      enterZ: ({ context }) => void context.log.push('enter z'),
    },
    guards: { flag: ({ context }) => context.flag },
  },
);

type Step = Ev['type'] | 'stop' | 'subscribe';
type ParentEvent = { type: 'spawn' } | { type: 'stopChild' } | { type: string };

/** A parent that starts one child of `machine` (xstate's Actor or a FlatActor) and records what it hears. */
function run(kind: 'xstate' | 'flat', steps: readonly Step[], quiet = false): string[] {
  const seen: string[] = [];
  const ctx: Ctx = { flag: false, log: [] };
  let child: AnyActorRef | undefined;
  const parentLogic: ActorLogic<Snapshot<undefined>, ParentEvent> = {
    getInitialSnapshot: () => ({ status: 'active', output: undefined, error: undefined }),
    transition(snapshot, event, scope) {
      if (event.type === 'spawn') {
        scope.defer(() => {
          child = kind === 'flat' ? (new FlatActor(machine, scope.self, 'kid', ctx) as unknown as AnyActorRef) : createActor(machine, { parent: scope.self, id: 'kid', input: ctx });
          ctx.ref = child;
          child.start();
        });
      } else if (event.type === 'stopChild') {
        if (child) scope.stopChild(child);
      } else seen.push(`parent hears ${event.type}${'error' in event ? ` (${String((event as { error: Error }).error.message)})` : ''}`);
      return snapshot;
    },
    getPersistedSnapshot: (s) => s,
  };
  const describe = inspectionDescriber((snapshot) => {
    const s = snapshot as { status: string; value?: string };
    return `${s.status}/${s.value ?? ''}`;
  });
  const parent = quiet ? createActor(parentLogic, { id: 'parent' }) : createActor(parentLogic, { id: 'parent', inspect: (e) => seen.push(describe(e)) });
  if (quiet) markUninspected(parent.system);
  parent.start();
  parent.send({ type: 'spawn' });
  for (const step of steps) {
    if (step === 'stop') parent.send({ type: 'stopChild' });
    else if (step === 'subscribe') child?.subscribe({ next: (s: { value?: string }) => seen.push(`observer next ${s.value}`), error: () => seen.push('observer error'), complete: () => seen.push('observer complete') });
    else child?.send({ type: step });
  }
  const last = child?.getSnapshot() as { status: string; value: string; error?: Error };
  seen.push(`final ${last.status}/${last.value}${last.error ? ` ${last.error.message}` : ''}`, `actions ${ctx.log.join(', ')}`);
  parent.stop();
  return seen;
}

test('flatMachine logic is branded for the light actor; the connection machine is flat', (t) => {
  t.true(isFlatLogic(machine));
  t.true(isFlatLogic(connectionMachine));
  t.false(isFlatLogic({ transition: () => undefined }));
});

test('a FlatActor and xstate Actor show the same events for the same steps (a fixed walk through every path)', (t) => {
  const steps: Step[] = ['subscribe', 'go', 'ping', 'hop', 'flip', 'go', 'hop', 'go', 'end', 'go'];
  const flat = run('flat', steps);
  t.deepEqual(flat, run('xstate', steps));
  t.true(flat.includes('parent hears xstate.done.actor.kid'));
  t.true(flat.includes('observer complete'));
});

test('a crash and a stop by the parent look the same on both', (t) => {
  const crash: Step[] = ['go', 'subscribe', 'kill', 'go'];
  t.deepEqual(run('flat', crash), run('xstate', crash));
  t.true(run('flat', crash).includes('parent hears xstate.error.actor.kid (boom)'));
  const stopped: Step[] = ['subscribe', 'go', 'stop', 'go'];
  const flat = run('flat', stopped);
  t.deepEqual(flat, run('xstate', stopped));
  t.is(flat.find((line) => line.startsWith('final ')), 'final stopped/b');
});

test('random step sequences: FlatActor and xstate Actor agree on every inspection event, what the parent hears, the final snapshot and the action order', (t) => {
  const step = fc.constantFrom<Step>('go', 'hop', 'end', 'kill', 'ping', 'flip', 'stop', 'subscribe');
  fc.assert(
    fc.property(fc.array(step, { maxLength: 24 }), (steps) => {
      const flat = run('flat', steps);
      const reference = run('xstate', steps);
      if (JSON.stringify(flat) !== JSON.stringify(reference)) t.deepEqual(flat, reference, `steps: ${steps.join(' ')}`);
      return JSON.stringify(flat) === JSON.stringify(reference);
    }),
    { numRuns: Number(process.env.FUZZ_RUNS ?? 300) },
  );
  t.pass();
});

test('a FlatActor cannot be stopped directly (it has a parent), as a child Actor', (t) => {
  const parent = createActor({ getInitialSnapshot: () => ({ status: 'active', output: undefined, error: undefined }), transition: (s: Snapshot<undefined>) => s, getPersistedSnapshot: (s: Snapshot<undefined>) => s } as ActorLogic<Snapshot<undefined>, { type: string }>);
  parent.start();
  const kid = new FlatActor(machine, parent, 'kid', { flag: false, log: [] });
  t.throws(() => kid.stop(), { message: 'A non-root actor cannot be stopped directly.' });
  t.deepEqual(kid.toJSON(), { xstate$$type: 1, id: 'kid' });
  t.is(kid.system, parent.system);
  parent.stop();
});

test('in a system marked uninspected, a FlatActor builds no inspection events yet behaves the same; an inspector attached later sees them', (t) => {
  const steps: Step[] = ['subscribe', 'go', 'ping', 'hop', 'flip', 'kill', 'go'];
  const behaviour = (lines: string[]) => lines.filter((line) => !line.startsWith('@xstate.'));
  const quiet = run('flat', steps, true);
  t.deepEqual(quiet, behaviour(run('xstate', steps)));
  t.true(quiet.includes('parent hears xstate.error.actor.kid (boom)'));

  const parent = createActor({ getInitialSnapshot: () => ({ status: 'active', output: undefined, error: undefined }), transition: (s: Snapshot<undefined>) => s, getPersistedSnapshot: (s: Snapshot<undefined>) => s } as ActorLogic<Snapshot<undefined>, { type: string }>);
  markUninspected(parent.system);
  parent.start();
  const seen: string[] = [];
  const before = new FlatActor(machine, parent, 'before', { flag: false, log: [] });
  parent.system.inspect((e) => seen.push(`${e.type} ${(e.actorRef as AnyActorRef).id}`));
  before.start();
  const after = new FlatActor(machine, parent, 'after', { flag: false, log: [] });
  after.start();
  after.send({ type: 'go' });
  t.deepEqual(seen, ['@xstate.event before', '@xstate.snapshot before', '@xstate.actor after', '@xstate.event after', '@xstate.snapshot after', '@xstate.event after', '@xstate.snapshot after']);
  parent.stop();
});

test('an event sent while the actor starts (by its first entry action) waits until it has started, as in xstate Actor', (t) => {
  type C = { ref?: AnyActorRef; log: string[] };
  const selfSending = flatMachine<C, 'a' | 'b', { type: 'go' }, C>(
    { id: 's', initial: 'a', context: ({ input }) => input, states: { a: { entry: 'kick', on: { go: 'b' } }, b: { entry: 'arrive' } } },
    {
      actions: {
        kick: ({ context }) => {
          context.log.push('kick');
          context.ref?.send({ type: 'go' });
          context.log.push('kicked');
        },
        arrive: ({ context }) => void context.log.push('arrive'),
      },
      guards: {},
    },
  );
  const once = (kind: 'flat' | 'xstate'): string[] => {
    const seen: string[] = [];
    const parent = createActor({ getInitialSnapshot: () => ({ status: 'active', output: undefined, error: undefined }), transition: (s: Snapshot<undefined>) => s, getPersistedSnapshot: (s: Snapshot<undefined>) => s } as ActorLogic<Snapshot<undefined>, { type: string }>, {
      id: 'parent',
      inspect: (e) => seen.push(`${e.type} ${(e.actorRef as AnyActorRef).id}${e.type === '@xstate.snapshot' ? ` ${(e.snapshot as { value?: string }).value}` : ''}`),
    });
    parent.start();
    const ctx: C = { log: seen };
    const kid = kind === 'flat' ? (new FlatActor(selfSending, parent, 'kid', ctx) as unknown as AnyActorRef) : createActor(selfSending, { parent, id: 'kid', input: ctx });
    ctx.ref = kid;
    kid.start();
    seen.push(`final ${(kid.getSnapshot() as { value: string }).value}`);
    parent.stop();
    return seen;
  };
  const flat = once('flat');
  t.deepEqual(flat, once('xstate'));
  t.true(flat.indexOf('kicked') < flat.indexOf('arrive'));
  t.true(flat.includes('final b'));
});
