import type { ActorLogic, Snapshot } from 'xstate';
import { compileFlat, type Action, type CompiledState, type FlatArgs, type FlatImplementations } from './flat-compile.ts';

/**
 * A flat statechart (no nested or parallel states, no delays, no assign), written in xstate's own
 * config format and run by a small interpreter made for it.
 *
 * Why: a connection actor is created and stopped once per request. Run by xstate's general
 * interpreter, the connection machine's lifecycle (start, the eventless `open → streaming` step,
 * close) allocated about 38 KB and took three microsteps of general statechart resolution, most of
 * a connect/disconnect cycle's cost (see docs/decisions.md). The same config run here allocates one
 * small snapshot per transition.
 *
 * What stays the same: the logic is an xstate `ActorLogic`, run in its supervisor's xstate system by
 * a light actor made for it (`FlatActor`, flat-actor.ts: the same `@xstate.actor`, `@xstate.event` and
 * `@xstate.snapshot` events, and `xstate.error.actor` / `xstate.done.actor` to its parent, as
 * xstate's own `Actor` gives, checked side by side by test/runtime/flat-actor.test.ts; any xstate
 * `createActor` runs it too), and its `config` is a valid xstate
 * machine config, which the Stately inspector draws as the statechart. The semantics are xstate's for
 * this subset, checked by a property test that runs random event sequences through both
 * interpreters. Not reported: the `@xstate.microstep` and `@xstate.action` inspection events.
 */

export type { FlatArgs, FlatImplementations } from './flat-compile.ts';

export interface FlatStateConfig<S extends string, E extends { type: string }> {
  readonly type?: 'final';
  readonly entry?: string | readonly string[];
  readonly exit?: string | readonly string[];
  /** Event type → target state. */
  readonly on?: { readonly [K in E['type']]?: S };
  /** Eventless transitions, taken in order: the first whose guard holds (or that has none). */
  readonly always?: S | { readonly guard?: string; readonly target: S } | ReadonlyArray<{ readonly guard?: string; readonly target: S }>;
}

export interface FlatMachineConfig<C, S extends string, E extends { type: string }, I> {
  readonly id: string;
  readonly initial: S;
  readonly context: (args: { input: I }) => C;
  /** Targetless transitions that apply in every state (actions only). */
  readonly on?: { readonly [K in E['type']]?: { readonly actions: string | readonly string[] } };
  readonly states: { readonly [K in S]: FlatStateConfig<S, E> };
}

export type FlatSnapshot<C, S extends string> = Snapshot<undefined> & { readonly value: S; readonly context: C };

export type FlatMachineLogic<C, S extends string, E extends { type: string }, I> = ActorLogic<FlatSnapshot<C, S>, E, I> & {
  readonly config: FlatMachineConfig<C, S, E, I>;
  /** Marks logic this interpreter runs: a supervisor starts it in a {@link FlatActor}. */
  readonly [FLAT]: true;
};

/** The brand of {@link FlatMachineLogic}. */
export const FLAT: unique symbol = Symbol('sse-actors.flat-machine');

/** True for logic made by {@link flatMachine}. */
export function isFlatLogic(logic: object): logic is FlatMachineLogic<unknown, string, { type: string }, unknown> {
  return (logic as { [FLAT]?: true })[FLAT] === true;
}

const STOP = 'xstate.stop';
/** The event a started machine's entry actions see (one for every start: actions only read its type). */
const INIT: { readonly type: 'xstate.init' } = Object.freeze({ type: 'xstate.init' });
/** An eventless loop longer than this is a bug in the config, not a lifecycle. */
const MAX_EVENTLESS_STEPS = 32;

function run<C, E extends { type: string }>(actions: ReadonlyArray<Action<C, E>>, args: FlatArgs<C, E>): void {
  for (let i = 0; i < actions.length; i++) (actions[i] as Action<C, E>)(args);
}

/** Runs `actions` now, or keeps them in order for later (a start's entry actions run once settled). */
function perform<C, E extends { type: string }>(actions: ReadonlyArray<Action<C, E>>, args: FlatArgs<C, E>, deferred: Array<ReadonlyArray<Action<C, E>>> | undefined): void {
  if (deferred) deferred.push(actions);
  else run(actions, args);
}

/** Creates the actor logic of a flat statechart; the config is checked now (unknown states, actions, guards or keys throw). */
export function flatMachine<C, S extends string, E extends { type: string }, I>(
  config: FlatMachineConfig<C, S, E, I>,
  implementations: FlatImplementations<C, E>,
): FlatMachineLogic<C, S, E, I> {
  const { states, global } = compileFlat<C, S, E>(config, implementations);
  const node = (value: S) => states.get(value) as CompiledState<C, S, E>;
  /** Follows eventless transitions from `value` (as xstate does after every event); returns where it settled. */
  /**
   * Follows eventless transitions from `value`; returns where it settled. Actions run as it goes (a
   * running actor, as xstate runs them microstep by microstep), or are collected in `deferred` (on
   * start, where xstate settles the initial state first and runs its actions after).
   */
  const settle = (value: S, args: FlatArgs<C, E>, deferred?: Array<ReadonlyArray<Action<C, E>>>): S => {
    for (let step = 0; ; step++) {
      const here = node(value);
      if (here.final) {
        // Reaching a final state ends the machine: xstate exits it too (after its entry).
        perform(here.exit, args, deferred);
        return value;
      }
      let next: (typeof here.always)[number] | undefined;
      for (const t of here.always) {
        if (t.guard === undefined || t.guard(args)) {
          next = t;
          break;
        }
      }
      if (!next) return value;
      if (step === MAX_EVENTLESS_STEPS) throw new Error(`Machine "${config.id}": eventless transitions loop (at "${value}")`);
      perform(here.exit, args, deferred);
      value = next.target;
      perform(node(value).entry, args, deferred);
    }
  };
  const snapshot = (value: S, context: C): FlatSnapshot<C, S> => ({
    status: node(value).final ? 'done' : 'active',
    value,
    context,
    output: undefined,
    error: undefined,
  });
  return {
    [FLAT]: true,
    config,
    // Active until started, even when the initial state is final: xstate runs a final initial
    // state's entry actions on start, then the actor is done.
    getInitialSnapshot: (_scope, input) => ({ status: 'active', value: config.initial, context: config.context({ input }), output: undefined, error: undefined }),
    // The initial state's entry actions run when the actor starts, as xstate runs them. The first
    // snapshot is settled in place: only the actor itself has seen it before it starts.
    start(initial) {
      const args = { context: initial.context, event: INIT as E };
      // The action lists in the order they run (each list once, not copied): entry, then each eventless step's.
      const deferred: Array<ReadonlyArray<Action<C, E>>> = [node(initial.value).entry];
      const settled = settle(initial.value, args, deferred);
      const mutable = initial as { value: S; status: FlatSnapshot<C, S>['status'] };
      mutable.value = settled;
      mutable.status = node(settled).final ? 'done' : 'active';
      for (let i = 0; i < deferred.length; i++) run(deferred[i] as ReadonlyArray<Action<C, E>>, args);
    },
    transition(current, event) {
      if (event.type === STOP) return { status: 'stopped', value: current.value, context: current.context, output: undefined, error: undefined };
      if (current.status !== 'active') return current;
      let value = current.value;
      const to = node(value).on.get(event.type);
      const args = { context: current.context, event };
      if (to === undefined) {
        const actions = global.get(event.type);
        if (actions) run(actions, args);
      } else {
        run(node(value).exit, args);
        value = to;
        run(node(value).entry, args);
      }
      value = settle(value, args);
      return value === current.value ? current : snapshot(value, current.context);
    },
    getPersistedSnapshot: (s) => ({ ...s, context: undefined }),
  };
}
