import type { AnyActorRef, InspectionEvent } from 'xstate';

/**
 * Describes inspection events as comparable lines: type, actor id and session, the event's type
 * and source, and the snapshot as `snapshot(s)` tells it. Session ids come from a counter shared
 * by every xstate system in the process, so they are numbered in order of appearance, per describer.
 */
export function inspectionDescriber(snapshot: (s: unknown) => string): (e: InspectionEvent) => string {
  const sessions = new Map<string, number>();
  const session = (ref: AnyActorRef | undefined) => (ref === undefined ? '-' : `s${sessions.get(ref.sessionId) ?? sessions.set(ref.sessionId, sessions.size).size - 1}`);
  return (e) => {
    const ref = e.actorRef as AnyActorRef;
    const base = `${e.type} ${ref.id}/${session(ref)}`;
    if (e.type === '@xstate.event') return `${base} ${e.event.type} from ${session(e.sourceRef as AnyActorRef | undefined)}`;
    if (e.type === '@xstate.snapshot') return `${base} ${e.event.type} -> ${snapshot(e.snapshot)}`;
    return base;
  };
}
