import { createActor, type ActorLogic, type AnyActorLogic, type AnyActorRef, type Snapshot } from 'xstate';

/**
 * A supervisor as hand-written xstate actor logic, generic over its child specs like an OTP
 * behaviour. Not a machine on purpose: a machine memoizes a transition per event type, and every
 * child id gives new `xstate.done.actor.<id>` / `xstate.error.actor.<id>` types, so a machine
 * supervisor would grow forever with connection churn (DESIGN: +100–200 B per connect/disconnect).
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

/** What a supervisor says when it gives up on a child. */
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

/** Raised (as the supervisor's own error) when children fail faster than the intensity allows. */
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

function spawn(ctx: SupervisorContext, spec: ChildSpec, scope: Scope, restarts: number, recent?: number[]): void {
  const ref = createActor(spec.logic, { parent: scope.self, id: spec.id, input: spec.input });
  ctx.children.set(spec.id, { spec, ref, restarts, recent });
  spec.onStart?.(ref);
  ref.start();
  // xstate's Actor keeps the options it merged with `{ ...defaults, ...options }`. On Node 20's V8
  // that double spread gives every merged object a hidden class of its own (about 0.4 KB per actor,
  // for the actor's whole life; see docs/decisions.md). After start() xstate reads only
  // `input` and `devTools` from it, and only while starting: a started child keeps a shared one.
  (ref as { options: unknown }).options = STARTED_OPTIONS;
}

const STARTED_OPTIONS = Object.freeze({});

function stopAll(ctx: SupervisorContext, scope: Scope): void {
  const children = [...ctx.children.values()].reverse(); // OTP: stop in reverse start order
  ctx.children.clear();
  for (const child of children) {
    scope.stopChild(child.ref);
    child.spec.onExit?.({ kind: 'shutdown' });
  }
}

function childExited(snapshot: SupervisorSnapshot, id: string, reason: ExitReason, scope: Scope, input: SupervisorInput): void {
  const ctx = snapshot.context;
  const child = ctx.children.get(id);
  if (!child) return;
  const restart =
    child.spec.restart === 'permanent' || (child.spec.restart === 'transient' && reason.kind === 'crash');
  if (!restart) {
    ctx.children.delete(id);
    child.spec.onExit?.(reason);
    return;
  }
  const now = input.now();
  const { maxRestarts, withinMs } = input.intensity;
  const perChild = input.intensityScope === 'child';
  const recent = perChild ? (child.recent ??= []) : ctx.recent;
  recent.push(now);
  while (recent.length > 0 && (recent[0] as number) <= now - withinMs) recent.shift();
  if (recent.length > maxRestarts) {
    const error = reason.kind === 'crash' ? reason.error : 'exited';
    ctx.children.delete(id);
    child.spec.onExit?.(reason);
    input.onEscalate?.({ supervisor: scope.id, actor: id, error, maxRestarts, withinMs, scope: perChild ? 'child' : 'supervisor' });
    if (perChild) return;
    stopAll(ctx, scope);
    throw new EscalationError(scope.id, id, maxRestarts, withinMs, error);
  }
  ctx.restarts += 1;
  if (reason.kind === 'crash') child.spec.onCrash?.(reason.error);
  spawn(ctx, child.spec, scope, child.restarts + 1, child.recent);
}

/** The supervisor logic; create it with `createActor(supervisorLogic, { input, parent?, id })`. */
export const supervisorLogic: ActorLogic<SupervisorSnapshot, SupervisorEvent, SupervisorInput> = {
  getInitialSnapshot: (_scope, input) => ({
    status: 'active',
    output: undefined,
    error: undefined,
    context: { input, children: new Map(), recent: [], restarts: 0 },
  }),
  start(snapshot, scope) {
    const input = snapshot.context.input;
    for (const spec of input.children ?? []) spawn(snapshot.context, spec, scope as Scope, 0);
  },
  transition(snapshot, event, scope) {
    const ctx = snapshot.context;
    const input = ctx.input;
    if (event.type === START_CHILD) {
      const spec = (event as { spec: ChildSpec }).spec;
      if (ctx.children.has(spec.id)) throw new Error(`Supervisor "${scope.id}" already has a child "${spec.id}"`);
      spawn(ctx, spec, scope, 0);
    } else if (event.type === STOP_CHILD) {
      const id = (event as { id: string }).id;
      const child = ctx.children.get(id);
      if (child) {
        ctx.children.delete(id);
        scope.stopChild(child.ref);
        child.spec.onExit?.({ kind: 'shutdown' });
      }
    } else if (event.type === STOP) {
      stopAll(ctx, scope);
      return { status: 'stopped', output: undefined, error: undefined, context: ctx };
    } else if (event.type.startsWith(DONE_PREFIX)) {
      childExited(snapshot, event.type.slice(DONE_PREFIX.length), { kind: 'normal' }, scope, input);
    } else if (event.type.startsWith(ERROR_PREFIX)) {
      const error = (event as { error: unknown }).error;
      childExited(snapshot, event.type.slice(ERROR_PREFIX.length), { kind: 'crash', error }, scope, input);
    }
    return snapshot;
  },
  getPersistedSnapshot: (snapshot) => ({ ...snapshot, context: undefined }),
};

