import test from 'ava';
import { inspectionDescriber } from '../helpers/inspection.ts';
import fc from 'fast-check';
import { createActor } from 'xstate';
import { supervisorLogic, START_CHILD, STOP_CHILD, type ChildSpec, type SupervisorSnapshot } from '../../src/actors/supervisor.ts';
import { registryLogic } from '../../src/actors/registry.ts';
import { historyLogic } from '../../src/actors/history.ts';
import { FlatActor, isLightLogic } from '../../src/runtime/flat-actor.ts';
import { flatMachine } from '../../src/runtime/flat-machine.ts';

// A supervisor under the root (a connection partition) runs in the light actor, as its children
// do. Here the same supervisor logic runs as the root's child both ways, in FlatActor and in
// xstate's own Actor, through random steps: children started, crashing, ending, stopped, restart
// intensity exceeded (per child and for the whole supervisor), time passing. Every inspection
// event, every callback of the child specs, every escalation and the final state must agree.

type WorkerEvent = { type: 'crash' | 'end' };
const worker = flatMachine<Record<string, never>, 'up' | 'done', WorkerEvent, unknown>(
  { id: 'worker', initial: 'up', context: () => ({}), on: { crash: { actions: 'boom' } }, states: { up: { on: { end: 'done' } }, done: { type: 'final' } } },
  {
    actions: {
      boom: () => {
        throw new Error('boom');
      },
    },
    guards: {},
  },
);

/** A worker that is done as it starts (its first state is final): it reports to its supervisor while that one is still starting it. */
const instant = flatMachine<Record<string, never>, 'done', WorkerEvent, unknown>({ id: 'instant', initial: 'done', context: () => ({}), states: { done: { type: 'final' } } }, { actions: {}, guards: {} });
/** A worker whose first state's entry action throws: it fails as it starts. */
const explode = flatMachine<Record<string, never>, 'up', WorkerEvent, unknown>(
  { id: 'explode', initial: 'up', context: () => ({}), states: { up: { entry: 'boom' } } },
  {
    actions: {
      boom: () => {
        throw new Error('boom at start');
      },
    },
    guards: {},
  },
);
const WORKERS = { normal: worker, instant, explode, badExit: worker };

/** The same logic without the light mark: xstate's Actor runs it. */
const heavy = Object.fromEntries(Object.entries(supervisorLogic)) as unknown as typeof supervisorLogic;

type Step =
  | { op: 'start'; id: string; restart: ChildSpec['restart']; kind?: keyof typeof WORKERS }
  | { op: 'crash' | 'end' | 'stop'; id: string }
  | { op: 'tick' };

function run(kind: 'light' | 'xstate', scope: 'child' | 'supervisor', steps: readonly Step[]): string[] {
  const seen: string[] = [];
  let now = 0;
  const clock = () => now;
  const spec = (id: string, restart: ChildSpec['restart'], kind: keyof typeof WORKERS = 'normal'): ChildSpec => ({
    id,
    logic: WORKERS[kind],
    restart,
    onStart: () => void seen.push(`start ${id}`),
    onCrash: (error) => void seen.push(`crash ${id} ${(error as Error).message}`),
    onExit: (reason) => {
      seen.push(`exit ${id} ${reason.kind}`);
      // A spec whose release throws: the effect fails its supervisor, as xstate fails an actor whose deferred effect throws.
      if (kind === 'badExit') throw new Error(`exit of ${id} threw`);
    },
  });
  const describe = inspectionDescriber((snapshot) => {
    const s = snapshot as { status: string; context?: { restarts?: number } };
    return `${s.status} restarts ${s.context?.restarts ?? '-'}`;
  });
  const partition: ChildSpec = {
    id: 'part',
    logic: kind === 'light' ? supervisorLogic : heavy,
    input: { intensity: { maxRestarts: 2, withinMs: 1000 }, now: clock, intensityScope: scope, onEscalate: (r: { supervisor: string; actor: string; scope: string }) => void seen.push(`escalate ${r.supervisor} ${r.actor} ${r.scope}`) },
    restart: 'permanent',
    onStart: () => void seen.push('start part'),
    onExit: (reason) => void seen.push(`exit part ${reason.kind}`),
  };
  const root = createActor(supervisorLogic, { id: 'root', input: { children: [partition], intensity: { maxRestarts: 1, withinMs: 1000 }, now: clock, onEscalate: (r) => void seen.push(`escalate ${r.supervisor} ${r.actor} ${r.scope}`) }, inspect: (e) => seen.push(describe(e)) });
  root.subscribe({ error: (error) => void seen.push(`root failed: ${(error as Error).message}`) });
  root.start();
  const part = () => (root.getSnapshot() as SupervisorSnapshot).context.children.get('part')?.ref;
  const kid = (id: string) => (part()?.getSnapshot() as SupervisorSnapshot | undefined)?.context.children.get(id)?.ref;
  for (const step of steps) {
    if (step.op === 'tick') now += 600;
    else if (step.op === 'start') part()?.send({ type: START_CHILD, spec: spec(step.id, step.restart, step.kind) });
    else if (step.op === 'stop') part()?.send({ type: STOP_CHILD, id: step.id });
    else kid(step.id)?.send({ type: step.op });
  }
  const last = part()?.getSnapshot() as SupervisorSnapshot | undefined;
  seen.push(`part ${last?.status} restarts ${last?.context.restarts} children ${[...(last?.context.children.keys() ?? [])].join(',')}`);
  seen.push(`root ${root.getSnapshot().status}`);
  root.stop();
  seen.push(`after stop: part ${part()?.getSnapshot().status ?? 'gone'}`);
  return seen;
}

const ids = fc.constantFrom('k0', 'k1', 'k2');
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ op: fc.constant('start' as const), id: ids, restart: fc.constantFrom<ChildSpec['restart']>('permanent', 'transient', 'temporary'), kind: fc.constantFrom<keyof typeof WORKERS>('normal', 'normal', 'instant', 'explode', 'badExit') }),
  fc.record({ op: fc.constantFrom('crash' as const, 'end' as const, 'stop' as const), id: ids }),
  fc.constant({ op: 'tick' as const }),
);

test('the supervisor and both services are marked to run in the light actor; a partition of a running tree is a FlatActor', (t) => {
  t.true(isLightLogic(supervisorLogic));
  t.true(isLightLogic(registryLogic()));
  t.true(isLightLogic(historyLogic));
  t.false(isLightLogic(heavy));
  const root = createActor(supervisorLogic, { input: { children: [{ id: 'part', logic: supervisorLogic, input: { intensity: { maxRestarts: 1, withinMs: 10 }, now: () => 0 }, restart: 'permanent' }], intensity: { maxRestarts: 1, withinMs: 10 }, now: () => 0 } });
  root.start();
  t.true((root.getSnapshot() as SupervisorSnapshot).context.children.get('part')?.ref instanceof FlatActor);
  root.stop();
});

test('a fixed walk: start, crash and restart, escalate one child, end, stop; both actors agree', (t) => {
  const steps: Step[] = [
    { op: 'start', id: 'k0', restart: 'permanent' },
    { op: 'start', id: 'k1', restart: 'transient' },
    { op: 'crash', id: 'k0' },
    { op: 'crash', id: 'k0' },
    { op: 'crash', id: 'k0' },
    { op: 'end', id: 'k1' },
    { op: 'start', id: 'k2', restart: 'temporary' },
    { op: 'stop', id: 'k2' },
    { op: 'start', id: 'k2', restart: 'temporary' },
    { op: 'start', id: 'k1', restart: 'temporary', kind: 'instant' },
    { op: 'start', id: 'k0', restart: 'transient', kind: 'explode' },
  ];
  const light = run('light', 'child', steps);
  t.deepEqual(light, run('xstate', 'child', steps));
  t.true(light.includes('escalate part k0 child'));
  t.true(light.includes('crash k0 boom'));
  t.true(light.includes('exit k1 normal'));
  t.true(light.includes('exit k2 shutdown'));
  t.true(light.includes('exit k1 normal'));
  t.true(light.includes('crash k0 boom at start'));
  t.true(light.includes('part active restarts 4 children k2'));
});

test('a supervisor-wide escalation fails the partition and the root restarts it; both actors agree', (t) => {
  const steps: Step[] = [
    { op: 'start', id: 'k0', restart: 'permanent' },
    { op: 'start', id: 'k1', restart: 'permanent' },
    { op: 'crash', id: 'k0' },
    { op: 'crash', id: 'k1' },
    { op: 'crash', id: 'k0' },
    { op: 'start', id: 'k2', restart: 'permanent' },
    { op: 'start', id: 'k2', restart: 'permanent' },
  ];
  const light = run('light', 'supervisor', steps);
  t.deepEqual(light, run('xstate', 'supervisor', steps));
  t.true(light.includes('escalate part k0 supervisor'));
  t.true(light.includes('start part'));
});

test('a child spec whose exit callback throws fails the partition (the effect failed), and the root restarts it; both actors agree', (t) => {
  const steps: Step[] = [
    { op: 'start', id: 'k0', restart: 'temporary', kind: 'badExit' },
    { op: 'start', id: 'k1', restart: 'permanent' },
    { op: 'end', id: 'k0' },
    { op: 'start', id: 'k2', restart: 'permanent' },
  ];
  const light = run('light', 'child', steps);
  t.deepEqual(light, run('xstate', 'child', steps));
  t.is(light.filter((line) => line === 'start part').length, 2);
  t.true(light.includes('part active restarts 0 children k2'));
});

test('random steps: the light actor and xstate Actor agree on every inspection event, callback, escalation and final state', (t) => {
  for (const scope of ['child', 'supervisor'] as const) {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 30 }), (steps) => {
        const light = run('light', scope, steps);
        const reference = run('xstate', scope, steps);
        if (JSON.stringify(light) !== JSON.stringify(reference)) t.deepEqual(light, reference, `${scope}: ${JSON.stringify(steps)}`);
        return JSON.stringify(light) === JSON.stringify(reference);
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 200) },
    );
  }
  t.pass();
});
