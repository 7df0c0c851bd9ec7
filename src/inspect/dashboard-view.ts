import type { SystemSnapshot, ConnectionSnapshot, ActorKind } from '../system/types.ts';
import { restartsByKind } from './actor-kinds.ts';

/**
 * One row of the dashboard's connection table.
 * @example
 * ```ts
 * const source = new EventSource('/_sse/events');
 * source.addEventListener(DASHBOARD_EVENT, ({ data }) => {
 *   const view: import('sse-actors').DashboardView = JSON.parse(data);
 *   for (const row of view.connections.rows) console.log(row.id, row.state, row.mailbox, row.dropped);
 * });
 * ```
 */
export type ConnectionRow = Pick<ConnectionSnapshot, 'id' | 'state' | 'topics' | 'mailbox' | 'delivered' | 'dropped' | 'restarts' | 'openedAt' | 'user'>;

/**
 * A connection partition in the supervision tree, with the connections it supervises.
 * @example
 * ```ts
 * const source = new EventSource('/_sse/events');
 * source.addEventListener(DASHBOARD_EVENT, ({ data }) => {
 *   const view: import('sse-actors').DashboardView = JSON.parse(data);
 *   for (const partition of view.tree.partitions) console.log(partition.id, partition.connections, partition.restarts);
 * });
 * ```
 */
export interface PartitionView {
  id: string;
  restarts: number;
  connections: number;
}

/**
 * What the dashboard page receives on every tick: the snapshot, aggregated so its size does not
 * grow with the number of connections (at most `rows` connections are listed; the rest are counted).
 * @example
 * ```ts
 * const source = new EventSource('/_sse/events');
 * source.addEventListener(DASHBOARD_EVENT, ({ data }) => {
 *   const view: import('sse-actors').DashboardView = JSON.parse(data);
 *   console.log(view.status, view.connections.total, view.connections.byState, view.events.delivered);
 * });
 * ```
 */
export interface DashboardView {
  /** Server time of the snapshot (ms since the epoch): ages are computed against it. */
  at: number;
  node: string;
  status: SystemSnapshot['status'];
  transport: SystemSnapshot['transport'];
  counters: SystemSnapshot['counters'];
  timers: SystemSnapshot['timers'];
  events: Omit<SystemSnapshot['events'], 'topics'>;
  restarts: number;
  restartsByKind: Record<ActorKind, number>;
  escalations: number;
  escalationsByKind: Record<ActorKind, number>;
  tree: { services: Array<{ id: string; restarts: number }>; partitions: PartitionView[] };
  topics: Array<{ topic: string; subscribers: number; history: number; notified: number; delivered: number }>;
  /** Live topics, the bound, and how many each family created. */
  topicCount: SystemSnapshot['topicCount'];
  /** Presence on this node, per topic (at most `rows` topics): users and streams here. Empty when presence is off. */
  presence: SystemSnapshot['presence'];
  connections: {
    total: number;
    byState: Record<string, number>;
    /** Listed first: connections not streaming, or with a queue, drops or restarts; then the rest in supervision order. */
    rows: ConnectionRow[];
  };
}

/** A connection worth listing before the quiet ones. */
const unusual = (c: ConnectionSnapshot): boolean => c.state !== 'streaming' || c.mailbox > 0 || c.dropped > 0 || c.restarts > 0;

const row = (c: ConnectionSnapshot): ConnectionRow => ({
  id: c.id,
  state: c.state,
  topics: c.topics,
  mailbox: c.mailbox,
  delivered: c.delivered,
  dropped: c.dropped,
  restarts: c.restarts,
  openedAt: c.openedAt,
  user: c.user,
});

/**
 * The dashboard's view of a snapshot, listing at most `rows` connections. Pure: one pass over the
 * connections, whatever their number.
 */
export function dashboardView(snap: SystemSnapshot, at: number, rows: number): DashboardView {
  const byState: Record<string, number> = { open: 0, streaming: 0, blocked: 0, closing: 0 };
  const partitions: PartitionView[] = [];
  const services: Array<{ id: string; restarts: number }> = [];
  for (const actor of snap.actors) {
    if (actor.id.startsWith('partition-')) partitions.push({ id: actor.id, restarts: actor.restarts, connections: 0 });
    else services.push(actor);
  }
  const listed: ConnectionRow[] = [];
  const quiet: ConnectionSnapshot[] = [];
  for (const c of snap.connections) {
    byState[c.state] = (byState[c.state] ?? 0) + 1;
    // Connection `c<N>` is supervised by partition N mod P (the system's placement; see system.ts).
    const n = /^c(\d+)$/.exec(c.id)?.[1];
    const partition = n === undefined || partitions.length === 0 ? undefined : partitions[Number(n) % partitions.length];
    if (partition) partition.connections += 1;
    if (listed.length < rows && unusual(c)) listed.push(row(c));
    else if (quiet.length < rows) quiet.push(c);
  }
  for (const c of quiet) {
    if (listed.length >= rows) break;
    if (!unusual(c)) listed.push(row(c));
  }
  const { topics: perTopic, ...events } = snap.events;
  return {
    at,
    node: snap.node,
    status: snap.status,
    transport: snap.transport,
    counters: snap.counters,
    timers: snap.timers,
    events,
    restarts: snap.restarts,
    restartsByKind: restartsByKind(snap),
    escalations: snap.escalations,
    escalationsByKind: snap.escalationsByKind,
    tree: { services, partitions },
    topics: snap.topics.map((t) => ({ ...t, notified: perTopic[t.topic]?.notified ?? 0, delivered: perTopic[t.topic]?.delivered ?? 0 })),
    topicCount: snap.topicCount,
    presence: snap.presence.slice(0, rows),
    connections: { total: snap.connections.length, byState, rows: listed },
  };
}
