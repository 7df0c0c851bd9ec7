import test from 'ava';
import fc from 'fast-check';
import { createActor, setup, type AnyActorLogic, type AnyActorRef } from 'xstate';
import { flatMachine } from '../../src/runtime/flat-machine.ts';

// The fence of the flat interpreter, tested across xstate's config language: every generated config
// is either refused when the logic is made (a TypeError naming what is unsupported) or runs exactly
// as xstate's interpreter runs it: same states, status, actions in order, and the same error when an
// action throws.

const EVENTS = ['A', 'B', 'C', 'PING'];
const ACTIONS = ['a1', 'a2', 'a3', 'boom'];
const GUARDS = ['g1', 'g2'];

const stateNames = (n: number) => Array.from({ length: n }, (_, i) => `s${i}`);
const pick = <T>(items: readonly T[]) => fc.constantFrom(...items);
const actionList = fc.oneof(pick(ACTIONS), fc.array(pick(ACTIONS), { maxLength: 3 }));
/** Mostly what the interpreter supports, sometimes what it must refuse. */
const rare = <T>(common: fc.Arbitrary<T>, ...others: fc.Arbitrary<unknown>[]): fc.Arbitrary<T> => fc.oneof({ weight: 60, arbitrary: common }, ...others.map((arbitrary) => ({ weight: 1, arbitrary: arbitrary as fc.Arbitrary<T> })));

function stateArb(names: string[]) {
  const target = rare(pick(names), fc.constant('#elsewhere'), fc.constant('.child'));
  const onValue = rare(target, target.map((t) => ({ target: t })), fc.record({ target, actions: actionList }), fc.record({ target, guard: pick(GUARDS) }), fc.array(target.map((t) => ({ target: t })), { maxLength: 2 }));
  const alwaysOne = rare(fc.record({ target, guard: pick(GUARDS) }), fc.record({ target }), fc.record({ target, actions: actionList }), fc.record({ target, guard: fc.constant(() => true) }));
  return fc.record(
    {
      type: rare(fc.constant(undefined), fc.constant('final'), fc.constant('final'), fc.constant('parallel'), fc.constant('history'), fc.constant('atomic')),
      entry: rare(actionList, fc.constant(() => {}), fc.constant({ type: 'a1' })),
      exit: actionList,
      on: fc.dictionary(rare(pick(EVENTS), fc.constant('*'), fc.constant('A.*')), onValue, { maxKeys: 3 }),
      always: rare(fc.constant(undefined), alwaysOne, fc.array(alwaysOne, { maxLength: 2 }), target),
      extra: rare(fc.constant({}), fc.constant({ after: { 100: names[0] } }), fc.constant({ tags: ['t'] }), fc.constant({ invoke: { src: 'x' } })),
    },
    { requiredKeys: [] },
  ).map(({ extra, ...s }) => ({ ...Object.fromEntries(Object.entries(s).filter(([, v]) => v !== undefined)), ...(extra as object) }));
}

const configArb = fc.integer({ min: 2, max: 4 }).chain((n) => {
  const names = stateNames(n);
  return fc.record({
    states: fc.tuple(...names.map(() => stateArb(names))).map((list) => Object.fromEntries(names.map((name, i) => [name, list[i]]))),
    initial: rare(pick(names), fc.constant('nowhere')),
    rootOn: rare(fc.dictionary(pick(EVENTS), fc.record({ actions: actionList }), { maxKeys: 2 }), fc.constant({ PING: 's1' }), fc.constant({ PING: { target: 's0' } }), fc.constant({ '*': { actions: 'a1' } })),
    rootExtra: rare(fc.constant({}), fc.constant({ entry: 'a1' }), fc.constant({ always: { target: 's0' } }), fc.constant({ type: 'parallel' })),
  }).map(({ states, initial, rootOn, rootExtra }) => ({ id: 'gen', initial, context: () => ({}), on: rootOn, states, ...rootExtra }));
});

/** True when eventless transitions can cycle (xstate would spin; the flat interpreter stops at a bound). */
function alwaysCycles(config: { states: Record<string, { always?: unknown }> }): boolean {
  const edges = new Map<string, string[]>();
  for (const [name, s] of Object.entries(config.states)) {
    const list = s.always === undefined ? [] : typeof s.always === 'string' ? [s.always] : (Array.isArray(s.always) ? s.always : [s.always]).map((t) => (t as { target: string }).target);
    edges.set(name, list as string[]);
  }
  const visiting = new Set<string>();
  const done = new Set<string>();
  const visit = (n: string): boolean => {
    if (visiting.has(n)) return true;
    if (done.has(n)) return false;
    visiting.add(n);
    const cyclic = (edges.get(n) ?? []).some(visit);
    visiting.delete(n);
    done.add(n);
    return cyclic;
  };
  return [...edges.keys()].some(visit);
}

function implementations(log: string[], flags: Record<string, boolean>) {
  const actions = Object.fromEntries(ACTIONS.map((name) => [name, ({ event }: { event: { type: string } }) => {
    log.push(`${name}:${event.type}`);
    if (name === 'boom') throw new Error(`boom on ${event.type}`);
  }]));
  const guards = Object.fromEntries(GUARDS.map((name) => [name, () => flags[name] === true]));
  return { actions, guards };
}

function observe(ref: AnyActorRef, errors: unknown[]): string {
  const s = ref.getSnapshot() as { value: unknown; status: string; error?: unknown };
  return `${JSON.stringify(s.value)}/${s.status}/${s.status === 'error' ? String((s.error as Error)?.message) : ''}/errors=${errors.map((e) => (e as Error).message).join('|')}`;
}

const seed = Number(process.env.FLAT_SEED ?? Math.floor(Math.random() * 2 ** 31));

test(`generated configs are refused or run exactly as xstate runs them (seed ${seed}; FLAT_SEED=${seed} reproduces)`, (t) => {
  t.log(`seed ${seed}`);
  let accepted = 0;
  let refused = 0;
  const steps = fc.array(fc.record({ event: pick([...EVENTS, 'UNKNOWN']), g1: fc.boolean(), g2: fc.boolean() }), { maxLength: 20 });
  fc.assert(
    fc.property(configArb, fc.record({ g1: fc.boolean(), g2: fc.boolean() }), steps, (config, initialFlags, events) => {
      const flags: Record<string, boolean> = { ...initialFlags };
      const fLog: string[] = [];
      let flat;
      try {
        flat = flatMachine(config as never, implementations(fLog, flags) as never);
      } catch (error) {
        if (!(error instanceof TypeError) || !/^Machine "gen": /.test(error.message)) throw error;
        refused += 1;
        return;
      }
      if (alwaysCycles(config as never)) return;
      accepted += 1;
      const xLog: string[] = [];
      const x = setup(implementations(xLog, flags) as never).createMachine(config as never) as AnyActorLogic;
      const xErrors: unknown[] = [];
      const fErrors: unknown[] = [];
      const xActor = createActor(x);
      const fActor = createActor(flat);
      xActor.subscribe({ error: (e) => xErrors.push(e) });
      fActor.subscribe({ error: (e) => fErrors.push(e) });
      xActor.start();
      fActor.start();
      const check = (when: string) => {
        const a = observe(xActor, xErrors);
        const b = observe(fActor, fErrors);
        if (a !== b || xLog.join(' ') !== fLog.join(' ')) throw new Error(`diverged ${when}:\n xstate ${a} ${xLog.join(' ')}\n flat   ${b} ${fLog.join(' ')}\n config ${JSON.stringify(config)}`);
      };
      check('after start');
      for (const step of events) {
        flags.g1 = step.g1;
        flags.g2 = step.g2;
        xActor.send({ type: step.event });
        fActor.send({ type: step.event });
        check(`after ${step.event}`);
      }
    }),
    { numRuns: Number(process.env.FUZZ_RUNS ?? 400), seed },
  );
  t.log(`accepted ${accepted}, refused ${refused}`);
  // Neither side may be vacuous: the generator reaches both the supported subset and the rest.
  t.true(accepted >= 40, `accepted ${accepted}`);
  t.true(refused >= 40, `refused ${refused}`);
});

test('each unsupported construct is refused with a message that says what and where', (t) => {
  const impl = { actions: { a: () => {} }, guards: { g: () => true } };
  const m = (extra: object, states: object = { s: {}, t: {} }) => () => flatMachine({ id: 'm', initial: 's', context: () => ({}), states, ...extra } as never, impl);
  const says = (fn: () => unknown, message: string) => t.throws(fn, { instanceOf: TypeError, message });
  says(m({ entry: 'a' }), 'Machine "m": the root uses entry, which a flat machine does not support');
  says(m({ on: { E: 't' } }), 'Machine "m": the root has a transition on "E" with a target (only { actions } is supported at the root), which a flat machine does not support');
  says(m({ on: { E: { target: 't', actions: 'a' } } }), 'Machine "m": the root uses target in a transition, which a flat machine does not support');
  says(m({ on: { '*': { actions: 'a' } } }), 'Machine "m": the root listens to "*" (wildcard or empty event descriptors), which a flat machine does not support');
  says(m({}, { s: { always: { target: 't', actions: 'a' } }, t: {} }), 'Machine "m": state "s" uses actions in a transition, which a flat machine does not support');
  says(m({}, { s: { on: { E: { target: 't', actions: 'a' } } }, t: {} }), 'Machine "m": state "s" uses actions in a transition, which a flat machine does not support');
  says(m({}, { s: { type: 'parallel' }, t: {} }), 'Machine "m": state "s" has type "parallel", which a flat machine does not support');
  says(m({}, { s: { entry: () => {} }, t: {} }), 'Machine "m": state "s" has a action that is not a named action (function), which a flat machine does not support');
  // The object form of a transition with only a target is the same as the string form: accepted.
  const logic = flatMachine({ id: 'm', initial: 's', context: () => ({}), states: { s: { on: { E: { target: 't' } } }, t: {} } } as never, impl);
  const actor = createActor(logic).start();
  actor.send({ type: 'E' });
  t.is(actor.getSnapshot().value, 't');
});
