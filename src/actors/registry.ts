import type { ActorLogic, AnyActorRef } from 'xstate';
import { FlatActor } from '../runtime/flat-actor.ts';
import type { ExitSignal } from './signals.ts';
import { serviceLogic, type ServiceSnapshot } from './service.ts';
import { isPattern } from '../protocol/topics.ts';
import { PatternTrie } from '../protocol/pattern-trie.ts';

/**
 * The registry actor owns the topic → subscribers index and is its only writer (subscribe,
 * unsubscribe, rebuild). Fan-out reads the index directly, outside the registry's mailbox, as
 * Elixir's Registry and phoenix_pubsub read ETS: a 10k fan-out through actor events took
 * 155 ms, a direct Map read 0.05 ms (docs/decisions.md, measured facts).
 */

/** Anything that subscribes: it names its topics (names, and patterns subscribed as such). */
export interface Subscriber {
  readonly topics: readonly string[];
}

export const SUBSCRIBE = 'registry.subscribe';
export const UNSUBSCRIBE = 'registry.unsubscribe';

export type RegistryEvent<S extends Subscriber> =
  | { type: typeof SUBSCRIBE; subscriber: S }
  | { type: typeof UNSUBSCRIBE; subscriber: S }
  | ExitSignal;

export interface RegistryInput<S extends Subscriber> {
  /** The fixed topics: each has an entry for the registry's life, empty or not. */
  readonly topics: readonly string[];
  /** The subscribers alive now: a restarted registry rebuilds its index from them. */
  readonly live: () => Iterable<S>;
  /** A topic created at runtime lost its last subscriber (its entry is gone): it may be reclaimed. */
  readonly idle?: (topic: string) => void;
  /** Who hears of subscription patterns: a pattern got its first subscriber or lost its last, and what a (re)started registry holds. */
  readonly patterns?: PatternListener;
}

/** Hears of the subscription patterns in the registry's index. */
export interface PatternListener {
  /** `pattern` got its first subscriber (`live`) or lost its last. */
  changed(pattern: string, live: boolean): void;
  /** The registry (re)started with these patterns: any other one is gone (its leaving was lost with the old registry). */
  rebuilt(present: readonly string[]): void;
}

export interface RegistryContext<S extends Subscriber> {
  /** Subscribers by topic name. */
  readonly index: Map<string, Set<S>>;
  /** Subscribers by pattern, walked with a topic's name at fan-out. */
  readonly patterns: PatternTrie<S>;
  /** The fixed topics (their entries stay). */
  readonly fixed: ReadonlySet<string>;
  readonly idle: ((topic: string) => void) | undefined;
  readonly listener: PatternListener | undefined;
}

export type RegistrySnapshot<S extends Subscriber> = ServiceSnapshot<RegistryContext<S>>;

function add<S extends Subscriber>(context: RegistryContext<S>, subscriber: S): void {
  const { index } = context;
  const { topics } = subscriber;
  for (let i = 0; i < topics.length; i++) {
    const topic = topics[i] as string;
    if (isPattern(topic)) {
      if (context.patterns.add(topic, subscriber)) context.listener?.changed(topic, true);
      continue;
    }
    let subscribers = index.get(topic);
    if (!subscribers) index.set(topic, (subscribers = new Set()));
    subscribers.add(subscriber);
  }
}

function remove<S extends Subscriber>(context: RegistryContext<S>, subscriber: S): void {
  const { topics } = subscriber;
  for (let i = 0; i < topics.length; i++) {
    const topic = topics[i] as string;
    if (isPattern(topic)) {
      if (context.patterns.delete(topic, subscriber)) context.listener?.changed(topic, false);
      continue;
    }
    const subscribers = context.index.get(topic);
    if (!subscribers?.delete(subscriber) || subscribers.size > 0 || context.fixed.has(topic)) continue;
    context.index.delete(topic);
    context.idle?.(topic);
  }
}

/**
 * Subscribes (`join`) or leaves as `SUBSCRIBE` / `UNSUBSCRIBE` do: as a quiet step when nobody can
 * see it (`FlatActor.quietStep`: no event object, no new snapshot, the same change to the table),
 * sent as the event otherwise.
 */
export function changeSubscription<S extends Subscriber>(registry: AnyActorRef, subscriber: S, join: boolean): void {
  if (registry instanceof FlatActor && registry.quietStep(join ? addTo : removeFrom, registry, subscriber)) return;
  registry.send({ type: join ? SUBSCRIBE : UNSUBSCRIBE, subscriber });
}

const contextOf = <S extends Subscriber>(registry: FlatActor): RegistryContext<S> => (registry.getSnapshot() as RegistrySnapshot<S>).context;
const addTo = <S extends Subscriber>(registry: FlatActor, subscriber: S): void => add(contextOf<S>(registry), subscriber);
const removeFrom = <S extends Subscriber>(registry: FlatActor, subscriber: S): void => remove(contextOf<S>(registry), subscriber);

/**
 * Registry logic for subscribers of type `S`. The index is the registry's table (as an ETS table
 * is its owner's): fan-out reads it directly, so it is one Map for the registry's life, updated in
 * place; subscribing and leaving are idempotent (a Set add or delete). A topic created at runtime
 * has an entry only while it has subscribers.
 */
export function registryLogic<S extends Subscriber>(): ActorLogic<RegistrySnapshot<S>, RegistryEvent<S>, RegistryInput<S>> {
  return serviceLogic<RegistryContext<S>, Exclude<RegistryEvent<S>, ExitSignal>, RegistryInput<S>>({
    init(input) {
      const index = new Map(input.topics.map((topic) => [topic, new Set<S>()]));
      // While rebuilding, the patterns found are collected and reported at once (`rebuilt`).
      const present: string[] = [];
      const collect: PatternListener = { changed: (pattern) => void present.push(pattern), rebuilt: () => undefined };
      const building: RegistryContext<S> = { index, patterns: new PatternTrie(), fixed: new Set(input.topics), idle: input.idle, listener: collect };
      for (const subscriber of input.live()) add(building, subscriber);
      input.patterns?.rebuilt(present);
      return { ...building, listener: input.patterns };
    },
    handle(context, event) {
      if (event.type === SUBSCRIBE) add(context, event.subscriber);
      else remove(context, event.subscriber);
      return context;
    },
  });
}
