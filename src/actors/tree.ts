import { markUninspected } from '../runtime/xstate-system.ts';
import { createActor, type Actor, type AnyActorRef, type InspectionEvent } from 'xstate';
import { supervisorLogic, startChild, type ChildSpec, type EscalationReport, type Intensity, type SupervisorContext, type SupervisorSnapshot, type SupervisedChild } from './supervisor.ts';
import { registryLogic, changeSubscription, type PatternListener, type RegistryContext, type RegistrySnapshot } from './registry.ts';
import { historyLogic, type HistoryContext, type HistorySnapshot, type HistoryStore } from './history.ts';
import type { Connection } from './connection.ts';
import type { Clock } from '../runtime/clock.ts';

/** Ids of the system's long-lived actors (stable across restarts). */
export const ROOT_ID = 'root';
export const REGISTRY_ID = 'registry';
export const HISTORY_ID = 'history';
export const PARTITION_PREFIX = 'partition-';
export const partitionId = (n: number): string => `${PARTITION_PREFIX}${n}`;

/** The kinds of supervised actor, in the order metrics and the dashboard list them. */
export const ACTOR_KINDS: readonly ActorKind[] = [REGISTRY_ID, HISTORY_ID, 'partition', 'connection'];
/**
 * A kind of supervised actor: the services, the connection partitions, and the connections.
 * @example
 * ```ts
 * const { escalationsByKind } = system.snapshot(); // a Record<ActorKind, number>
 * if (escalationsByKind.partition > 0) console.warn('a connection partition was given up on');
 * ```
 */
export type ActorKind = 'registry' | 'history' | 'partition' | 'connection';

/** The kind of the actor with this id (any id that is no service and no partition is a connection's). */
export function actorKind(id: string): ActorKind {
  if (id === REGISTRY_ID || id === HISTORY_ID) return id;
  return id.startsWith(PARTITION_PREFIX) ? 'partition' : 'connection';
}

export interface TreeOptions {
  readonly clock: Clock;
  readonly topics: readonly string[];
  readonly history: { readonly store: HistoryStore; readonly size: number; readonly ttlMs: number };
  readonly partitions: number;
  readonly intensity: Intensity;
  readonly onEscalate: (report: EscalationReport) => void;
  readonly inspect: ((event: InspectionEvent) => void) | undefined;
  /** The root failed (escalation, or a bug): the whole tree is down. */
  readonly onFailure: (error: unknown) => void;
  /** A topic created at runtime lost its last subscriber. */
  readonly onIdle?: (topic: string) => void;
  /** Hears of subscription patterns coming and going in the registry (and what a restarted one holds). */
  readonly patterns?: PatternListener;
}

/**
 * The supervision tree of one system: the root supervisor, its registry, history and connection
 * partitions. The one place that knows how the tree is laid out and reads its actors' snapshots:
 * everything else asks it, through typed accessors.
 */
export class SupervisionTree {
  private readonly root: Actor<typeof supervisorLogic>;
  private readonly partitions: number;
  /** The partitions' ids, made once (a connect looks its partition up without building the string). */
  private readonly partitionIds: readonly string[];

  constructor(options: TreeOptions) {
    const { clock, topics, history, partitions, intensity, onEscalate, inspect } = options;
    this.partitions = partitions;
    this.partitionIds = Array.from({ length: partitions }, (_, n) => partitionId(n));
    const now = () => clock.now();
    const children: ChildSpec[] = [
      { id: REGISTRY_ID, logic: registryLogic<Connection>(), input: { topics, live: () => this.connections(), idle: options.onIdle, patterns: options.patterns }, restart: 'permanent' },
      { id: HISTORY_ID, logic: historyLogic, input: { ...history, now }, restart: 'permanent' },
      ...Array.from({ length: partitions }, (_, n): ChildSpec => ({
        id: partitionId(n),
        logic: supervisorLogic,
        // Each connection has its own restart count: one bad stream never takes its siblings down.
        input: { intensity, now, intensityScope: 'child', onEscalate },
        restart: 'permanent',
      })),
    ];
    this.root = createActor(supervisorLogic, { id: ROOT_ID, clock, input: { children, intensity, now, onEscalate }, ...(inspect ? { inspect } : {}) });
    if (!inspect) markUninspected(this.root.system);
    // An unobserved root failure would be rethrown as an uncaught exception.
    this.root.subscribe({ error: options.onFailure });
    this.root.start();
  }

  private get context(): SupervisorContext {
    return (this.root.getSnapshot() as SupervisorSnapshot).context;
  }

  /** A child of the root, if the tree is up. */
  service(id: string): SupervisedChild | undefined {
    return this.context.children.get(id);
  }

  /** The registry's index (topic → connections), read directly by fan-out. */
  index(): Map<string, Set<Connection>> | undefined {
    return this.registry()?.index;
  }

  /** The registry's tables (by name and by pattern), read directly by fan-out. */
  registry(): RegistryContext<Connection> | undefined {
    return (this.service(REGISTRY_ID)?.ref.getSnapshot() as RegistrySnapshot<Connection> | undefined)?.context;
  }

  subscribe(connection: Connection): void {
    const registry = this.service(REGISTRY_ID)?.ref;
    if (registry) changeSubscription(registry, connection, true);
  }

  unsubscribe(connection: Connection): void {
    const registry = this.service(REGISTRY_ID)?.ref;
    if (registry) changeSubscription(registry, connection, false);
  }

  history(): { ref: AnyActorRef; context: HistoryContext } | undefined {
    const ref = this.service(HISTORY_ID)?.ref;
    return ref && { ref, context: (ref.getSnapshot() as HistorySnapshot).context };
  }

  private partition(n: number): SupervisorContext | undefined {
    return (this.service(partitionId(n))?.ref.getSnapshot() as SupervisorSnapshot | undefined)?.context;
  }

  /** Starts a connection under partition `n mod partitions`. */
  startConnection(n: number, connection: Connection): void {
    const partition = this.service(this.partitionIds[n % this.partitions] as string)?.ref;
    if (partition) startChild(partition, connection);
  }

  /** Every live connection, across partitions. */
  *connections(): Generator<Connection> {
    for (let n = 0; n < this.partitions; n++) {
      const partition = this.partition(n);
      if (partition) for (const child of partition.children.values()) yield child.spec as Connection;
    }
  }

  /** How many connections are live, across partitions: no walk over them. */
  connectionCount(): number {
    let count = 0;
    for (let n = 0; n < this.partitions; n++) count += this.partition(n)?.children.size ?? 0;
    return count;
  }

  /** The actor behind a service id (`registry`, `history`) or a live connection id. */
  actor(id: string): AnyActorRef | undefined {
    if (id === REGISTRY_ID || id === HISTORY_ID) return this.service(id)?.ref;
    for (let n = 0; n < this.partitions; n++) {
      const child = this.partition(n)?.children.get(id);
      if (child) return child.ref;
    }
    return undefined;
  }

  /** The root's children with their restart counts, and every supervisor's restarts added up. */
  restarts(): { total: number; actors: Array<{ id: string; restarts: number }> } {
    const root = this.context;
    let total = root.restarts;
    const actors: Array<{ id: string; restarts: number }> = [];
    for (const child of root.children.values()) {
      actors.push({ id: child.spec.id, restarts: child.restarts });
      if (child.spec.logic === supervisorLogic) total += (child.ref.getSnapshot() as SupervisorSnapshot).context.restarts;
    }
    return { total, actors };
  }

  stop(): void {
    this.root.stop();
  }
}
