import type { ActorLogic, Snapshot } from 'xstate';

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
 * What stays the same: the logic is an xstate `ActorLogic` run by a real xstate actor (so
 * supervision, `xstate.error.actor` / `xstate.done.actor` and the inspection events `@xstate.actor`,
 * `@xstate.event` and `@xstate.snapshot` are xstate's own), and its `config` is a valid xstate
 * machine config, which the Stately inspector draws as the statechart. The semantics are xstate's for
 * this subset, checked by a property test that runs random event sequences through both
 * interpreters. Not reported: the `@xstate.microstep` and `@xstate.action` inspection events.
 */

/** What actions and guards receive, as in xstate. */
export interface FlatArgs<C, E> {
  readonly context: C;
  readonly event: E;
}

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

export interface FlatImplementations<C, E> {
  readonly actions: Readonly<Record<string, (args: FlatArgs<C, E>) => void>>;
  readonly guards: Readonly<Record<string, (args: FlatArgs<C, E>) => boolean>>;
}

export type FlatSnapshot<C, S extends string> = Snapshot<undefined> & { readonly value: S; readonly context: C };

export type FlatMachineLogic<C, S extends string, E extends { type: string }, I> = ActorLogic<FlatSnapshot<C, S>, E, I> & {
  readonly config: FlatMachineConfig<C, S, E, I>;
};

type Action<C, E> = (args: FlatArgs<C, E>) => void;
type Guard<C, E> = (args: FlatArgs<C, E>) => boolean;

interface CompiledState<C, S, E> {
  readonly final: boolean;
  readonly entry: ReadonlyArray<Action<C, E>>;
  readonly exit: ReadonlyArray<Action<C, E>>;
  readonly on: ReadonlyMap<string, S>;
  readonly always: ReadonlyArray<{ readonly guard: Guard<C, E> | undefined; readonly target: S }>;
}

const STOP = 'xstate.stop';
/** An eventless loop longer than this is a bug in the config, not a lifecycle. */
const MAX_EVENTLESS_STEPS = 32;
const STATE_KEYS = new Set(['type', 'entry', 'exit', 'on', 'always']);

const list = <T>(value: T | readonly T[] | undefined): readonly T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value as T]);

function compile<C, S extends string, E extends { type: string }, I>(config: FlatMachineConfig<C, S, E, I>, impl: FlatImplementations<C, E>) {
  const action = (name: string): Action<C, E> => {
    const fn = impl.actions[name];
    if (!fn) throw new TypeError(`Machine "${config.id}": no implementation for action "${name}"`);
    return fn;
  };
  const guard = (name: string): Guard<C, E> => {
    const fn = impl.guards[name];
    if (!fn) throw new TypeError(`Machine "${config.id}": no implementation for guard "${name}"`);
    return fn;
  };
  const names = Object.keys(config.states) as S[];
  const target = (from: string, to: S): S => {
    if (!names.includes(to)) throw new TypeError(`Machine "${config.id}": state "${from}" targets unknown state "${to}"`);
    // xstate's re-entry rules for a state targeting itself are subtle; no flat lifecycle needs one.
    if (to === from) throw new TypeError(`Machine "${config.id}": state "${from}" targets itself, which a flat machine does not support`);
    return to;
  };
  const states = new Map<S, CompiledState<C, S, E>>();
  for (const name of names) {
    const state = config.states[name];
    const unsupported = Object.keys(state).filter((key) => !STATE_KEYS.has(key));
    if (unsupported.length > 0) throw new TypeError(`Machine "${config.id}": state "${name}" uses ${unsupported.join(', ')}, which a flat machine does not support`);
    const on = new Map<string, S>();
    for (const [type, to] of Object.entries(state.on ?? {}) as Array<[string, S]>) on.set(type, target(name, to));
    const always = list(typeof state.always === 'string' ? { target: state.always } : state.always).map((t) => ({
      guard: t.guard === undefined ? undefined : guard(t.guard),
      target: target(name, t.target),
    }));
    states.set(name, { final: state.type === 'final', entry: list(state.entry).map(action), exit: list(state.exit).map(action), on, always });
  }
  if (!states.has(config.initial)) throw new TypeError(`Machine "${config.id}": unknown initial state "${config.initial}"`);
  const global = new Map<string, ReadonlyArray<Action<C, E>>>();
  for (const [type, t] of Object.entries(config.on ?? {}) as Array<[string, { actions: string | readonly string[] }]>) global.set(type, list(t.actions).map(action));
  return { states, global };
}

/** Creates the actor logic of a flat statechart; the config is checked now (unknown states, actions, guards or keys throw). */
export function flatMachine<C, S extends string, E extends { type: string }, I>(
  config: FlatMachineConfig<C, S, E, I>,
  implementations: FlatImplementations<C, E>,
): FlatMachineLogic<C, S, E, I> {
  const { states, global } = compile(config, implementations);
  const node = (value: S) => states.get(value) as CompiledState<C, S, E>;
  const run = (actions: ReadonlyArray<Action<C, E>>, args: FlatArgs<C, E>) => {
    for (const fn of actions) fn(args);
  };
  /** Follows eventless transitions from `value` (as xstate does after every event); returns where it settled. */
  const settle = (value: S, args: FlatArgs<C, E>): S => {
    for (let step = 0; ; step++) {
      if (node(value).final) return value;
      const next = node(value).always.find((t) => t.guard === undefined || t.guard(args));
      if (!next) return value;
      if (step === MAX_EVENTLESS_STEPS) throw new Error(`Machine "${config.id}": eventless transitions loop (at "${value}")`);
      run(node(value).exit, args);
      value = next.target;
      run(node(value).entry, args);
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
    config,
    getInitialSnapshot: (_scope, input) => snapshot(config.initial, config.context({ input })),
    // The initial state's entry actions run when the actor starts, as xstate runs them. The first
    // snapshot is settled in place: only the actor itself has seen it before it starts.
    start(initial) {
      const args = { context: initial.context, event: { type: 'xstate.init' } as E };
      run(node(initial.value).entry, args);
      const settled = settle(initial.value, args);
      const mutable = initial as { value: S; status: FlatSnapshot<C, S>['status'] };
      mutable.value = settled;
      mutable.status = node(settled).final ? 'done' : 'active';
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
