import test from 'ava';
import fc from 'fast-check';
import { createActor, setup, type AnyActorLogic, type AnyActorRef } from 'xstate';
import { flatMachine, type FlatMachineConfig } from '../../src/runtime/flat-machine.ts';
import { connectionMachine } from '../../src/actors/connection-machine.ts';

// The flat interpreter must do what xstate's own interpreter does with the same config: the same
// states, the same status, the same actions in the same order, after every event.

type Ev = { type: string };
type Config = FlatMachineConfig<unknown, string, Ev, unknown>;

/** Implementations that record what ran; guards read flags the test flips between events. */
function recording(config: Config, log: string[], flags: Record<string, boolean>) {
  const actionNames = new Set<string>();
  const guardNames = new Set<string>();
  const names = (v: unknown) => (v === undefined ? [] : Array.isArray(v) ? (v as string[]) : [v as string]);
  for (const t of Object.values(config.on ?? {})) for (const a of names((t as { actions: unknown }).actions)) actionNames.add(a);
  for (const state of Object.values(config.states)) {
    for (const a of [...names(state.entry), ...names(state.exit)]) actionNames.add(a);
    const always = state.always === undefined ? [] : typeof state.always === 'string' ? [] : Array.isArray(state.always) ? state.always : [state.always];
    for (const t of always as Array<{ guard?: string }>) if (t.guard) guardNames.add(t.guard);
  }
  const actions: Record<string, (args: { event: Ev }) => void> = {};
  for (const name of actionNames) actions[name] = ({ event }) => void log.push(`${name}:${event.type}`);
  const guards: Record<string, () => boolean> = {};
  for (const name of guardNames) guards[name] = () => flags[name] === true;
  return { actions, guards, guardNames: [...guardNames] };
}

function observe(ref: AnyActorRef) {
  const s = ref.getSnapshot() as { value: unknown; status: string };
  return `${String(s.value)}/${s.status}`;
}

/** Runs `steps` through both interpreters and compares them after each step. */
function compare(config: Config, steps: Array<{ event: string; flags: Record<string, boolean> }>, initialFlags: Record<string, boolean>) {
  const xLog: string[] = [];
  const fLog: string[] = [];
  const flags = { ...initialFlags };
  const x = recording(config, xLog, flags);
  const f = recording(config, fLog, flags);
  const xActor = createActor(setup({ actions: x.actions, guards: x.guards }).createMachine(config as never) as AnyActorLogic);
  const fActor = createActor(flatMachine(config, { actions: f.actions as never, guards: f.guards }));
  xActor.start();
  fActor.start();
  const trace: Array<{ x: string; f: string; xLog: string; fLog: string }> = [{ x: observe(xActor), f: observe(fActor), xLog: xLog.join(' '), fLog: fLog.join(' ') }];
  for (const step of steps) {
    Object.assign(flags, step.flags);
    xActor.send({ type: step.event });
    fActor.send({ type: step.event });
    trace.push({ x: observe(xActor), f: observe(fActor), xLog: xLog.join(' '), fLog: fLog.join(' ') });
  }
  return trace;
}

const synthetic: Config = {
  id: 'synthetic',
  initial: 'a',
  context: () => ({}),
  on: { PING: { actions: ['pinged', 'pingedAgain'] } },
  states: {
    a: { entry: ['enterA', 'enterA2'], exit: 'exitA', always: [{ guard: 'skipA', target: 'b' }], on: { GO: 'b', END: 'done', BACK: 'c' } },
    b: { entry: 'enterB', exit: ['exitB', 'exitB2'], always: [{ guard: 'bToC', target: 'c' }, { guard: 'bToA', target: 'a' }], on: { GO: 'c', BACK: 'a' } },
    c: { entry: 'enterC', always: { guard: 'cDone', target: 'done' }, on: { GO: 'a', END: 'done' } },
    done: { type: 'final', entry: ['enterDone', 'cleanup'] },
  },
};

function property(config: Config, events: string[]) {
  const flagsOf = (names: string[]) => fc.record(Object.fromEntries(names.map((n) => [n, fc.boolean()])) as Record<string, fc.Arbitrary<boolean>>);
  const guardNames = recording(config, [], {}).guardNames;
  // bToA with skipA would loop a → b → a forever; xstate would too (it has no bound by default).
  return fc.property(
    flagsOf(guardNames),
    fc.array(fc.record({ event: fc.constantFrom(...events), flags: flagsOf(guardNames) }), { maxLength: 12 }),
    (initial, steps) => {
      const loops = (f: Record<string, boolean>) => f.skipA === true && f.bToA === true;
      if (loops(initial) || steps.some((s) => loops({ ...initial, ...s.flags }))) return true;
      const trace = compare(config, steps, initial);
      for (const row of trace) {
        if (row.x !== row.f || row.xLog !== row.fLog) throw new Error(`diverged: ${JSON.stringify(row)}\n${JSON.stringify(trace, null, 1)}`);
      }
      return true;
    },
  );
}

test('a synthetic flat machine: the same states and actions as xstate, on random events and guard flips', (t) => {
  fc.assert(property(synthetic, ['GO', 'BACK', 'END', 'PING', 'UNKNOWN']), { numRuns: 500, seed: 77 });
  t.pass();
});

test('the connection machine: the same states and actions as xstate, on random events and guard flips', (t) => {
  const config = connectionMachine.config as unknown as Config;
  const events = ['sink.blocked', 'sink.drained', 'sink.closed', 'connection.close', 'mailbox.overflow', 'lifetime.ended', 'sse.exit.normal', 'sse.exit.kill'];
  // The event names the machine really uses (checked, so a renamed event cannot make this vacuous).
  const used = new Set(Object.values(config.states).flatMap((s) => Object.keys(s.on ?? {})).concat(Object.keys(config.on ?? {})));
  t.deepEqual([...used].sort(), [...events].sort());
  fc.assert(property(config, events), { numRuns: 500, seed: 78 });
});

test('an exact trace: start settles through eventless transitions, final stops, later events do nothing', (t) => {
  const trace = compare(synthetic, [{ event: 'GO', flags: { bToC: true } }, { event: 'PING', flags: { cDone: true } }, { event: 'GO', flags: {} }], { skipA: true });
  t.deepEqual(
    trace.map((r) => [r.f, r.fLog]),
    [
      ['b/active', 'enterA:xstate.init enterA2:xstate.init exitA:xstate.init enterB:xstate.init'],
      ['c/active', 'enterA:xstate.init enterA2:xstate.init exitA:xstate.init enterB:xstate.init exitB:GO exitB2:GO enterC:GO'],
      ['done/done', 'enterA:xstate.init enterA2:xstate.init exitA:xstate.init enterB:xstate.init exitB:GO exitB2:GO enterC:GO pinged:PING pingedAgain:PING enterDone:PING cleanup:PING'],
      ['done/done', 'enterA:xstate.init enterA2:xstate.init exitA:xstate.init enterB:xstate.init exitB:GO exitB2:GO enterC:GO pinged:PING pingedAgain:PING enterDone:PING cleanup:PING'],
    ],
  );
  t.deepEqual(trace.map((r) => [r.x, r.xLog]), trace.map((r) => [r.f, r.fLog]));
});

test('a config the flat interpreter cannot run exactly is refused when the logic is made', (t) => {
  const impl = { actions: { a: () => {} }, guards: { g: () => true } };
  const base = { id: 'm', initial: 's', context: () => ({}) };
  t.throws(() => flatMachine({ ...base, states: { s: { on: { E: 'nowhere' } } } } as never, impl), { instanceOf: TypeError, message: 'Machine "m": state "s" targets unknown state "nowhere"' });
  t.throws(() => flatMachine({ ...base, states: { s: { on: { E: 's' } } } } as never, impl), { instanceOf: TypeError, message: 'Machine "m": state "s" targets itself, which a flat machine does not support' });
  t.throws(() => flatMachine({ ...base, states: { s: { entry: 'missing' } } } as never, impl), { instanceOf: TypeError, message: 'Machine "m": no implementation for action "missing"' });
  t.throws(() => flatMachine({ ...base, states: { s: { always: { guard: 'nope', target: 's' } } } } as never, impl), { instanceOf: TypeError, message: 'Machine "m": no implementation for guard "nope"' });
  t.throws(() => flatMachine({ ...base, states: { s: { after: { 100: 's' } } } } as never, impl), { instanceOf: TypeError, message: 'Machine "m": state "s" uses after, which a flat machine does not support' });
  t.throws(() => flatMachine({ ...base, initial: 'x', states: { s: {} } } as never, impl), { instanceOf: TypeError, message: 'Machine "m": unknown initial state "x"' });
});

test('an eventless loop is an error of the actor, not a hang', (t) => {
  const logic = flatMachine(
    { id: 'loop', initial: 'a', context: () => ({}), states: { a: { always: 'b' }, b: { always: 'a' } } } as never,
    { actions: {}, guards: {} },
  );
  const actor = createActor(logic);
  const errors: unknown[] = [];
  actor.subscribe({ error: (e) => errors.push(e) });
  actor.start();
  t.is(actor.getSnapshot().status, 'error');
  t.is((errors[0] as Error).message, 'Machine "loop": eventless transitions loop (at "a")');
});
