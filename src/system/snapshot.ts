import type { SystemSnapshot, ConnectionSnapshot, EventStats } from './types.ts';
import type { Stats } from '../runtime/stats.ts';
import type { SupervisionTree } from '../actors/tree.ts';
import { historyStats } from '../actors/history.ts';
import type { Connection } from '../actors/connection.ts';
import type { TransportStatus } from '../transport/types.ts';
import type { Topics } from './topics.ts';
import { subscriberCount } from './fan-out.ts';

/** What {@link takeSnapshot} reads besides the tree. */
export interface SnapshotSources {
  readonly status: SystemSnapshot['status'];
  readonly topics: Topics;
  readonly escalations: number;
  readonly escalationsByKind: SystemSnapshot['escalationsByKind'];
  readonly admitting: number;
  readonly timers: SystemSnapshot['timers'];
  readonly node: string;
  readonly transport: TransportStatus;
  readonly stats: Stats;
  readonly presence: SystemSnapshot['presence'];
}

function connectionSnapshot(c: Connection): ConnectionSnapshot {
  return {
    id: c.id,
    state: c.state,
    topics: [...c.topics],
    mailbox: c.mailbox.length,
    delivered: c.ledger.delivered,
    dropped: c.mailbox.dropped,
    lastEventId: c.ledger.cursor ?? null,
    restarts: c.restarts,
    openedAt: c.openedAt,
    user: c.user ?? null,
  };
}

function copyStats(stats: Stats): EventStats {
  const topics: EventStats['topics'] = {};
  for (const [topic, counts] of stats.topics) topics[topic] = { ...counts };
  const { notified, delivered, keepAlives, replayed } = stats;
  return { notified, delivered, keepAlives, replayed, resets: { ...stats.resets }, topics };
}

/** The JSON view of a system: one walk over its connections, values only (nothing live). */
export function takeSnapshot(tree: SupervisionTree, from: SnapshotSources): SystemSnapshot {
  // A stopped or failed tree has no children left: every accessor answers with nothing.
  const connections: ConnectionSnapshot[] = [];
  for (const c of tree.connections()) connections.push(connectionSnapshot(c));
  const { total, actors } = tree.restarts();
  const registry = tree.registry();
  const history = tree.history();
  // One expiry pass and one walk of the logs serve both views of history.
  const kept = history ? historyStats(history.context) : {};
  return {
    status: from.status,
    connections,
    topics: from.topics.rows((topic) => subscriberCount(registry, topic), kept),
    topicCount: from.topics.count(),
    restarts: total,
    actors,
    escalations: from.escalations,
    escalationsByKind: { ...from.escalationsByKind },
    counters: { ...from.stats.counters },
    admitting: from.admitting,
    timers: { ...from.timers },
    node: from.node,
    transport: from.transport,
    events: copyStats(from.stats),
    history: kept,
    presence: from.presence,
  };
}
