import { forgetStartOptions, idleListeners } from './idle-listeners.ts';
import { FlatActor, isLightLogic, lightLogic } from '../runtime/flat-actor.ts';
import { isFlatLogic } from '../runtime/flat-machine.ts';
import { createActor, type ActorLogic, type AnyActorLogic, type AnyActorRef, type Snapshot } from 'xstate';

/**
 * A supervisor as hand-written xstate actor logic, generic over its child specs like an OTP
 * behaviour. Not a machine on purpose: a machine memoizes a transition per event type, and every
 * child id gives new `xstate.done.actor.<id>` / `xstate.error.actor.<id>` types, so a machine
 * supervisor would grow forever with connection churn (+100–200 B per connect/disconnect: docs/decisions.md).
 * Children are tracked in a Map, not in xstate's copy-on-write `children` object.
 */

/** OTP restart types: `permanent` always restarts, `transient` only after a crash, `temporary` never. */
export type RestartType = 'permanent' | 'transient' | 'temporary';

/** Why a child stopped for good. */
export type ExitReason =
  | { readonly kind: 'normal' }
  | { readonly kind: 'crash'; readonly error: unknown }
  | { readonly kind: 'shutdown' };

export interface ChildSpec {
  /** Unique among the supervisor's children; a restarted child keeps it. */
  readonly id: string;
  readonly logic: AnyActorLogic;
  readonly input?: unknown;
  readonly restart: RestartType;
  /** Told about each actor started for this spec (the first and every restart), before it starts. */
  onStart?(ref: AnyActorRef): void;
  /** Told that the child crashed and is about to be restarted: reset what the dead actor left half-done. */
  onCrash?(error: unknown): void;
  /** Told once the child stopped for good; the spec releases what it holds (sockets, timers, entries). */
  onExit?(reason: ExitReason): void;
}

/** Restart intensity: more than `maxRestarts` restarts within `withinMs` escalates. */
export interface Intensity {
  readonly maxRestarts: number;
  readonly withinMs: number;
}

/**
 * What a supervisor says when it gives up on a child.
 * @example
 * ```ts
 * createSystem({
 *   topics: ['news'],
 *   onEscalation: (report: EscalationReport) => logger.error({ actor: report.actor, scope: report.scope, error: report.error }, 'supervisor gave up'),
 * });
 * ```
 */
export interface EscalationReport {
  /** The supervisor that gave up. */
  readonly supervisor: string;
  /** The child that failed too often. */
  readonly actor: string;
  /** The child's last error. */
  readonly error: unknown;
  /** More than this many restarts… */
  readonly maxRestarts: number;
  /** …within this many ms. */
  readonly withinMs: number;
  /** `child`: only that child was stopped; `supervisor`: the supervisor shut down its subtree and failed. */
  readonly scope: 'child' | 'supervisor';
}

export interface SupervisorInput {
  readonly children?: readonly ChildSpec[];
  readonly intensity: Intensity;
  /**
   * `supervisor` (OTP): restarts of all children count together; past the intensity the whole
   * subtree is shut down and the supervisor fails. `child`: each child has its own count; past it
   * only that child is stopped (connections: one bad stream must not take its siblings down).
   * @default 'supervisor'
   */
  readonly intensityScope?: 'supervisor' | 'child';
  /** Told whenever the intensity is exceeded. */
  readonly onEscalate?: (report: EscalationReport) => void;
  /** Time source for the intensity window (the system clock). */
  readonly now: () => number;
}

export interface SupervisedChild {
  readonly spec: ChildSpec;
  ref: AnyActorRef;
  restarts: number;
  /** Timestamps of this child's recent restarts (intensity scope `child`); allocated on its first restart. */
  recent: number[] | undefined;
}

export interface SupervisorContext {
  readonly input: SupervisorInput;
  readonly children: Map<string, SupervisedChild>;
  /** Timestamps of recent restarts, for the intensity window. */
  readonly recent: number[];
  restarts: number;
}

export type SupervisorSnapshot = Snapshot<undefined> & { context: SupervisorContext };

export const START_CHILD = 'supervisor.start_child';
export const STOP_CHILD = 'supervisor.stop_child';
const DONE_PREFIX = 'xstate.done.actor.';
const ERROR_PREFIX = 'xstate.error.actor.';
const STOP = 'xstate.stop';

export type SupervisorEvent =
  | { type: typeof START_CHILD; spec: ChildSpec }
  | { type: typeof STOP_CHILD; id: string }
  | { type: `${typeof DONE_PREFIX}${string}`; output?: unknown }
  | { type: `${typeof ERROR_PREFIX}${string}`; error: unknown }
  | { type: typeof STOP };

/**
 * Raised (as the supervisor's own error) when children fail faster than the intensity allows.
 * @example
 * ```ts
 * try {
 *   system.notify(event);
 * } catch (error) {
 *   // A system whose registry or history kept crashing failed; the escalation is the cause.
 *   if (error instanceof SystemStoppedError && error.cause instanceof EscalationError) console.error(error.cause.message);
 * }
 * ```
 */
export class EscalationError extends Error {
  override readonly name = 'EscalationError';
  constructor(
    readonly supervisor: string,
    readonly child: string,
    readonly restarts: number,
    readonly withinMs: number,
    readonly reason: unknown,
  ) {
    super(
      `Supervisor "${supervisor}" gave up: child "${child}" needed more than ${restarts} restarts within ${withinMs} ms ` +
        `(last error: ${reason instanceof Error ? reason.message : String(reason)})`,
      { cause: reason },
    );
  }
}

type Scope = Parameters<ActorLogic<SupervisorSnapshot, SupervisorEvent, SupervisorInput>['transition']>[2];

/**
 * Starts an actor for `spec` (an effect: run from `scope.defer`, after the transition that decided
 * it, as xstate runs a machine's actions after its transition).
 */
function spawn(children: Map<string, SupervisedChild>, spec: ChildSpec, scope: Scope, restarts: number, recent?: number[]): void {
  // A flat statechart (a connection) or a service runs in the light actor: same system, same events.
  const flat = isFlatLogic(spec.logic) || isLightLogic(spec.logic);
  const ref = flat ? (new FlatActor(spec.logic, scope.self, spec.id, spec.input) as unknown as AnyActorRef) : createActor(spec.logic, { parent: scope.self, id: spec.id, input: spec.input });
  children.set(spec.id, { spec, ref, restarts, recent });
  spec.onStart?.(ref);
  ref.start();
  if (flat) return; // it keeps no merged options and allocates no listener collections up front
  forgetStartOptions(ref);
  idleListeners(ref);
}

/** Stops every child in reverse start order (OTP) and tells each spec; an effect. */
function stopAll(children: readonly SupervisedChild[], scope: Scope): void {
  for (const child of children) {
    scope.stopChild(child.ref);
    child.spec.onExit?.({ kind: 'shutdown' });
  }
}

/**
 * The next snapshot: a new object whenever a value it shows changes (restarts, status). The children
 * table is the supervisor's own, like an ETS table: a child starting or leaving for good changes the
 * table in place and returns the same snapshot (copying 10k children per connect was the 38 s problem
 * in docs/decisions.md), so readers go through the table, never through snapshot identity.
 */
function next(snapshot: SupervisorSnapshot, restarts: number, status: SupervisorSnapshot['status'] = 'active', error?: unknown): SupervisorSnapshot {
  return { status, output: undefined, error, context: { ...snapshot.context, restarts } } as SupervisorSnapshot;
}

function childExited(snapshot: SupervisorSnapshot, id: string, reason: ExitReason, scope: Scope): SupervisorSnapshot {
  const ctx = snapshot.context;
  const { input, children } = ctx;
  const child = children.get(id);
  if (!child) return snapshot;
  const restart = child.spec.restart === 'permanent' || (child.spec.restart === 'transient' && reason.kind === 'crash');
  if (!restart) {
    children.delete(id);
    scope.defer(() => child.spec.onExit?.(reason));
    // Nothing the snapshot holds as a value changed (the child leaves the table): as START_CHILD.
    return snapshot;
  }
  const now = input.now();
  const { maxRestarts, withinMs } = input.intensity;
  const perChild = input.intensityScope === 'child';
  const recent = perChild ? (child.recent ??= []) : ctx.recent;
  recent.push(now);
  while (recent.length > 0 && (recent[0] as number) <= now - withinMs) recent.shift();
  if (recent.length > maxRestarts) {
    const error = reason.kind === 'crash' ? reason.error : 'exited';
    children.delete(id);
    const report: EscalationReport = { supervisor: scope.id, actor: id, error, maxRestarts, withinMs, scope: perChild ? 'child' : 'supervisor' };
    if (perChild) {
      scope.defer(() => {
        child.spec.onExit?.(reason);
        input.onEscalate?.(report);
      });
      return next(snapshot, ctx.restarts);
    }
    const rest = [...children.values()].reverse();
    children.clear();
    scope.defer(() => {
      child.spec.onExit?.(reason);
      input.onEscalate?.(report);
      stopAll(rest, scope);
    });
    return next(snapshot, ctx.restarts, 'error', new EscalationError(scope.id, id, maxRestarts, withinMs, error));
  }
  scope.defer(() => {
    if (reason.kind === 'crash') child.spec.onCrash?.(reason.error);
    spawn(children, child.spec, scope, child.restarts + 1, child.recent);
  });
  return next(snapshot, ctx.restarts + 1);
}

const NORMAL_EXIT: ExitReason = Object.freeze({ kind: 'normal' });

/** The child an `xstate.done.actor.<id>` / `xstate.error.actor.<id>` event is about: its `actorId` (the child's own id string, hashed once), else the type's suffix. */
function childId(event: { type: string; actorId?: unknown }, prefix: string): string {
  return typeof event.actorId === 'string' ? event.actorId : event.type.slice(prefix.length);
}

function assertNewChild(children: Map<string, SupervisedChild>, spec: ChildSpec, scope: Scope): void {
  if (children.has(spec.id)) throw new Error(`Supervisor "${scope.id}" already has a child "${spec.id}"`);
}

/**
 * Starts a child under a supervisor running in the light actor, as `START_CHILD` does, as a quiet
 * step when nobody can see it (see `FlatActor.quietStep`: no event object, no step of its own); sent
 * as the event otherwise. The same check, the same start, the same failure if the id is taken.
 */
export function startChild(supervisor: AnyActorRef, spec: ChildSpec): void {
  if (supervisor instanceof FlatActor && supervisor.quietStep(startNow, supervisor, spec)) return;
  supervisor.send({ type: START_CHILD, spec });
}

function startNow(supervisor: FlatActor, spec: ChildSpec): void {
  const { children } = (supervisor.getSnapshot() as SupervisorSnapshot).context;
  const scope = supervisor as unknown as Scope;
  assertNewChild(children, spec, scope);
  spawn(children, spec, scope, 0);
}

/** The supervisor logic; create it with `createActor(supervisorLogic, { input, parent?, id })`. A supervisor under another runs in the light actor, as its children do. */
export const supervisorLogic: ActorLogic<SupervisorSnapshot, SupervisorEvent, SupervisorInput> = lightLogic({
  getInitialSnapshot: (_scope, input) => ({
    status: 'active',
    output: undefined,
    error: undefined,
    context: { input, children: new Map(), recent: [], restarts: 0 },
  }),
  start(snapshot, scope) {
    const { input, children } = snapshot.context;
    for (const spec of input.children ?? []) spawn(children, spec, scope as Scope, 0);
  },
  transition(snapshot, event, scope) {
    const ctx = snapshot.context;
    const { children } = ctx;
    if (event.type === START_CHILD) {
      const spec = (event as { spec: ChildSpec }).spec;
      assertNewChild(children, spec, scope);
      scope.defer(() => spawn(children, spec, scope, 0));
      return snapshot; // nothing the snapshot shows changed yet: the child appears in the table as it starts
    }
    if (event.type === STOP_CHILD) {
      const id = (event as { id: string }).id;
      const child = children.get(id);
      if (!child) return snapshot;
      children.delete(id);
      scope.defer(() => stopAll([child], scope));
      return next(snapshot, ctx.restarts);
    }
    if (event.type === STOP) {
      const all = [...children.values()].reverse();
      children.clear();
      scope.defer(() => stopAll(all, scope));
      return next(snapshot, ctx.restarts, 'stopped');
    }
    if (event.type.startsWith(DONE_PREFIX)) return childExited(snapshot, childId(event, DONE_PREFIX), NORMAL_EXIT, scope);
    if (event.type.startsWith(ERROR_PREFIX)) {
      const error = (event as { error: unknown }).error;
      return childExited(snapshot, childId(event, ERROR_PREFIX), { kind: 'crash', error }, scope);
    }
    return snapshot;
  },
  getPersistedSnapshot: (snapshot) => ({ ...snapshot, context: undefined }),
});
