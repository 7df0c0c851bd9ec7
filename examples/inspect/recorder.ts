import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AnyActorRef, InspectionEvent } from 'xstate';

/**
 * An offline xstate inspector: `createSystem({ inspect: recorder.inspect })` records every actor's
 * start, state changes and received events, prints them as readable lines, and serves them as JSON
 * (`recorder.handler`). No internet, no dependency: what Stately's inspector shows, as text.
 */

/** One thing an actor did, in the order it happened. */
export interface Transition {
  /** Sequence number across the recorder (1, 2, …). */
  seq: number;
  /** The actor's id: `root`, `registry`, `history`, `partition-0`, `c0`, `ticker`, … */
  actor: string;
  /** `start`: the actor was created (again, after a restart); `state`: its state changed; `event`: it received an event. */
  kind: 'start' | 'state' | 'event';
  /** For `start`: the parent's id (or `-`); for `state`: the state value (or the status of logic without states); for `event`: the event type. */
  value: string;
}

export interface RecorderOptions {
  /** Where readable lines go. @default console.log; pass `() => {}` to print nothing */
  print?: (line: string) => void;
  /** Print received events too (a ticker or a busy stream makes many). @default false */
  printEvents?: boolean;
  /** Transitions kept (the oldest are dropped past it). @default 10000 */
  limit?: number;
  /** The path `handler` serves the transitions at. @default '/_inspect' */
  path?: string;
}

export interface Recorder {
  /** Pass this to `createSystem({ inspect })` (and to your own actors' `inspect`). */
  inspect(event: InspectionEvent): void;
  /** Everything recorded, oldest first. */
  readonly transitions: readonly Transition[];
  /** The states an actor went through, in order (every life of it, across restarts). */
  statesOf(actor: string): string[];
  /** How many times an actor was started: 1, plus one per restart. */
  startsOf(actor: string): number;
  /** A `node:http` handler: serves `{ transitions }` as JSON at `path` and returns true; false otherwise. */
  handler(req: IncomingMessage, res: ServerResponse): boolean;
}

/** A snapshot's readable state: the state value of a machine, else the status (hand-written logic). */
function stateOf(snapshot: unknown): string {
  const { value, status } = snapshot as { value?: unknown; status?: string };
  if (typeof value === 'string') return value;
  if (value !== undefined && value !== null) return JSON.stringify(value);
  return status ?? 'unknown';
}

export function createRecorder(options: RecorderOptions = {}): Recorder {
  const { print = (line: string) => console.log(line), printEvents = false, limit = 10_000, path = '/_inspect' } = options;
  const transitions: Transition[] = [];
  // The last state printed per actor session: only changes are recorded.
  const last = new Map<string, string>();
  let seq = 0;
  const record = (actor: string, kind: Transition['kind'], value: string) => {
    transitions.push({ seq: ++seq, actor, kind, value });
    if (transitions.length > limit) transitions.shift();
    if (kind !== 'event' || printEvents) print(`[inspect] ${actor.padEnd(12)} ${kind === 'start' ? `started (parent ${value})` : kind === 'state' ? `→ ${value}` : `← ${value}`}`);
  };
  const idOf = (ref: unknown): string => (ref as AnyActorRef).id;

  return {
    transitions,
    inspect(event) {
      const actor = idOf(event.actorRef);
      if (event.type === '@xstate.actor') {
        const parent = (event.actorRef as AnyActorRef & { _parent?: AnyActorRef })._parent;
        record(actor, 'start', parent ? parent.id : '-');
      } else if (event.type === '@xstate.snapshot') {
        const state = stateOf(event.snapshot);
        if (last.get(event.actorRef.sessionId) === state) return;
        last.set(event.actorRef.sessionId, state);
        if (state === 'done' || state === 'stopped' || (event.snapshot as { status?: string }).status !== 'active') last.delete(event.actorRef.sessionId);
        record(actor, 'state', state);
      } else if (event.type === '@xstate.event') {
        record(actor, 'event', event.event.type);
      }
    },
    statesOf: (actor) => transitions.filter((t) => t.actor === actor && t.kind === 'state').map((t) => t.value),
    startsOf: (actor) => transitions.filter((t) => t.actor === actor && t.kind === 'start').length,
    handler(req, res) {
      if (req.method !== 'GET' || (req.url ?? '/').split('?')[0] !== path) return false;
      const body = JSON.stringify({ transitions });
      res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(Buffer.byteLength(body)), 'Cache-Control': 'no-store' });
      res.end(body);
      return true;
    },
  };
}
