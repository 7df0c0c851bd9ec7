/**
 * The fence of the flat statechart interpreter: a config is compiled only if the interpreter runs
 * it exactly as xstate would. Everything else in xstate's config language is refused, with a
 * message naming what and where, when the logic is made (never silently run differently).
 */

/** What actions and guards receive, as in xstate. */
export interface FlatArgs<C, E> {
  readonly context: C;
  readonly event: E;
}

export type Action<C, E> = (args: FlatArgs<C, E>) => void;
export type Guard<C, E> = (args: FlatArgs<C, E>) => boolean;

export interface FlatImplementations<C, E> {
  readonly actions: Readonly<Record<string, (args: FlatArgs<C, E>) => void>>;
  readonly guards: Readonly<Record<string, (args: FlatArgs<C, E>) => boolean>>;
}

export interface CompiledState<C, S, E> {
  readonly final: boolean;
  readonly entry: ReadonlyArray<Action<C, E>>;
  readonly exit: ReadonlyArray<Action<C, E>>;
  readonly on: ReadonlyMap<string, S>;
  readonly always: ReadonlyArray<{ readonly guard: Guard<C, E> | undefined; readonly target: S }>;
}

export interface Compiled<C, S, E> {
  readonly states: ReadonlyMap<S, CompiledState<C, S, E>>;
  /** Root-level targetless transitions: event type → actions. */
  readonly global: ReadonlyMap<string, ReadonlyArray<Action<C, E>>>;
}

const ROOT_KEYS = new Set(['id', 'initial', 'context', 'on', 'states']);
const STATE_KEYS = new Set(['type', 'entry', 'exit', 'on', 'always']);
const ON_KEYS = new Set(['target']);
const ALWAYS_KEYS = new Set(['target', 'guard']);
const ROOT_ON_KEYS = new Set(['actions']);

type Raw = Record<string, unknown>;

const isObject = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Compiles `config` against `impl`, or throws a TypeError that says what the flat interpreter does not support. */
export function compileFlat<C, S extends string, E>(config: unknown, impl: FlatImplementations<C, E>): Compiled<C, S, E> {
  const root = isObject(config) ? config : {};
  const id = typeof root.id === 'string' ? root.id : '(no id)';
  const refuse = (where: string, what: string): never => {
    throw new TypeError(`Machine "${id}": ${where} ${what}, which a flat machine does not support`);
  };
  const fail = (message: string): never => {
    throw new TypeError(`Machine "${id}": ${message}`);
  };
  if (!isObject(config)) fail('the config must be an object');
  if (typeof root.id !== 'string') fail('the config needs a string `id`');
  const extraRoot = Object.keys(root).filter((key) => !ROOT_KEYS.has(key));
  if (extraRoot.length > 0) refuse('the root', `uses ${extraRoot.join(', ')}`);
  if (typeof root.context !== 'function') fail('`context` must be a function of the input');
  if (!isObject(root.states)) fail('`states` must be an object');
  const rawStates = root.states as Raw;
  const names = Object.keys(rawStates) as S[];

  const names_ = (where: string, value: unknown, kind: string): string[] => {
    const items = value === undefined ? [] : Array.isArray(value) ? value : [value];
    for (const item of items) if (typeof item !== 'string') refuse(where, `has a ${kind} that is not a named ${kind} (${typeof item})`);
    return items as string[];
  };
  const action = (_where: string, name: string): Action<C, E> => impl.actions[name] ?? fail(`no implementation for action "${name}"`);
  const guard = (where: string, name: unknown): Guard<C, E> => {
    if (typeof name !== 'string') return refuse(where, 'has a guard that is not a named guard');
    return impl.guards[name] ?? fail(`no implementation for guard "${name}"`);
  };
  const eventType = (where: string, type: string): string => {
    if (type === '' || type.includes('*')) refuse(where, `listens to "${type}" (wildcard or empty event descriptors)`);
    return type;
  };
  const target = (from: string, to: unknown): S => {
    if (typeof to !== 'string') return refuse(`state "${from}"`, 'has a transition whose target is not one sibling state name');
    if (!names.includes(to as S)) fail(`state "${from}" targets unknown state "${to}"`);
    // xstate's re-entry rules for a state targeting itself are subtle; no flat lifecycle needs one.
    if (to === from) refuse(`state "${from}"`, 'targets itself');
    return to as S;
  };
  const onlyKeys = (where: string, value: Raw, allowed: Set<string>): void => {
    const extra = Object.keys(value).filter((key) => !allowed.has(key));
    if (extra.length > 0) refuse(where, `uses ${extra.join(', ')} in a transition`);
  };

  const states = new Map<S, CompiledState<C, S, E>>();
  for (const name of names) {
    const where = `state "${name}"`;
    const state = rawStates[name];
    if (!isObject(state)) return fail(`${where} must be an object`);
    const extra = Object.keys(state).filter((key) => !STATE_KEYS.has(key));
    if (extra.length > 0) refuse(where, `uses ${extra.join(', ')}`);
    if (state.type !== undefined && state.type !== 'final') refuse(where, `has type "${String(state.type)}"`);
    const on = new Map<string, S>();
    if (state.on !== undefined && !isObject(state.on)) refuse(where, 'has an `on` that is not an object');
    for (const [type, t] of Object.entries((state.on as Raw | undefined) ?? {})) {
      if (isObject(t)) onlyKeys(where, t, ON_KEYS);
      else if (typeof t !== 'string') refuse(where, `has a transition on "${type}" that is neither a state name nor { target }`);
      on.set(eventType(where, type), target(name, isObject(t) ? t.target : t));
    }
    const rawAlways = state.always === undefined ? [] : typeof state.always === 'string' ? [{ target: state.always }] : Array.isArray(state.always) ? state.always : [state.always];
    const always = rawAlways.map((t: unknown) => {
      if (!isObject(t)) return refuse(where, 'has an eventless transition that is neither a state name nor { target, guard }');
      onlyKeys(where, t, ALWAYS_KEYS);
      return { guard: t.guard === undefined ? undefined : guard(where, t.guard), target: target(name, t.target) };
    });
    const entry = names_(where, state.entry, 'action').map((a) => action(where, a));
    const exit = names_(where, state.exit, 'action').map((a) => action(where, a));
    states.set(name, { final: state.type === 'final', entry, exit, on, always });
  }
  if (typeof root.initial !== 'string' || !states.has(root.initial as S)) fail(`unknown initial state "${String(root.initial)}"`);
  const global = new Map<string, ReadonlyArray<Action<C, E>>>();
  if (root.on !== undefined && !isObject(root.on)) refuse('the root', 'has an `on` that is not an object');
  for (const [type, t] of Object.entries((root.on as Raw | undefined) ?? {})) {
    // Only targetless transitions at the root: a root target would leave and re-enter the whole machine.
    if (!isObject(t)) return refuse('the root', `has a transition on "${type}" with a target (only { actions } is supported at the root)`);
    onlyKeys('the root', t, ROOT_ON_KEYS);
    global.set(eventType('the root', type), names_('the root', t.actions, 'action').map((a) => action('the root', a)));
  }
  return { states, global };
}
