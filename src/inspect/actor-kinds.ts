import { ACTOR_KINDS, actorKind, type ActorKind, type SystemSnapshot } from '../system/types.ts';

export { ACTOR_KINDS };

/**
 * Restarts by actor kind. The root counts the restarts of the services and partitions (each one's
 * `restarts` in `snapshot().actors`); everything else in `snapshot().restarts` was counted by a
 * partition, which restarts connections only.
 */
export function restartsByKind(snap: SystemSnapshot): Record<ActorKind, number> {
  const byKind: Record<ActorKind, number> = { registry: 0, history: 0, partition: 0, connection: 0 };
  let supervised = 0;
  for (const { id, restarts } of snap.actors) {
    supervised += restarts;
    byKind[actorKind(id)] += restarts;
  }
  byKind.connection = snap.restarts - supervised;
  return byKind;
}
