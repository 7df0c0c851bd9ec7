import { createActor, enqueueActions, setup, type Actor, type InspectionEvent } from 'xstate';
import type { Clock } from 'sse-actors';

/**
 * The seed's `Ticker`: a timer that refreshes the USD/EUR pair and publishes only when it moved.
 * The Elixir original polled an HTTP API; this one walks randomly so the demo and its tests run
 * offline. It is an xstate machine with an `after` delay, so any xstate clock drives it (tests pass
 * a `SimulatedClock` and step time instead of sleeping).
 */

/** Rates against the US dollar, as the seed's stream sends them. */
export interface Rates {
  readonly USD: 1;
  readonly EUR: number;
}

/** What the ticker emits when a refresh changed the rates. */
export interface RatesChanged {
  readonly type: 'rates.changed';
  readonly rates: Rates;
  /** Number of changes since start: 1 for the first one. The app uses it as the SSE event id. */
  readonly version: number;
}

/** A source of uniform numbers in [0, 1), like `Math.random`. */
export type RandomSource = () => number;

/** @default 1000 */
export const DEFAULT_INTERVAL_MS = 1000;
/** Largest move of EUR per tick. @default 0.0005 */
export const DEFAULT_STEP = 0.0005;
export const DEFAULT_RATES: Rates = { USD: 1, EUR: 0.9234 };
/** The walk stays in this band, so a long-running demo never drifts to nonsense. */
const EUR_MIN = 0.5;
const EUR_MAX = 1.5;

/** Rates are quoted with 4 decimals; rounding here is what makes "unchanged" possible. */
const round4 = (n: number): number => Math.round(n * 10_000) / 10_000;

/** One step of the random walk: `random() = 0.5` is no move, 0 and 1 are ±`step`. */
export function walk(rates: Rates, random: number, step: number): Rates {
  const eur = round4(Math.min(EUR_MAX, Math.max(EUR_MIN, rates.EUR + (random * 2 - 1) * step)));
  return { USD: 1, EUR: eur };
}

/** A seedable random source (mulberry32): the same seed gives the same walk. */
export function seededRandom(seed: number): RandomSource {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface TickerInput {
  /** @default DEFAULT_INTERVAL_MS */
  intervalMs?: number;
  /** @default DEFAULT_STEP */
  step?: number;
  /** @default Math.random */
  random?: RandomSource;
  /** @default DEFAULT_RATES */
  initial?: Rates;
}

interface TickerContext {
  rates: Rates;
  version: number;
  intervalMs: number;
  step: number;
  random: RandomSource;
}

export const tickerMachine = setup({
  types: {
    context: {} as TickerContext,
    input: {} as TickerInput,
    emitted: {} as RatesChanged,
  },
  delays: {
    interval: ({ context }) => context.intervalMs,
  },
  actions: {
    // One action draws the number, compares and publishes: a guard plus an action would draw twice.
    refresh: enqueueActions(({ context, enqueue }) => {
      const rates = walk(context.rates, context.random(), context.step);
      if (rates.EUR === context.rates.EUR) return;
      const version = context.version + 1;
      enqueue.assign({ rates, version });
      enqueue.emit({ type: 'rates.changed', rates, version });
    }),
  },
}).createMachine({
  id: 'ticker',
  context: ({ input }) => ({
    rates: input.initial ?? DEFAULT_RATES,
    version: 0,
    intervalMs: input.intervalMs ?? DEFAULT_INTERVAL_MS,
    step: input.step ?? DEFAULT_STEP,
    random: input.random ?? Math.random,
  }),
  initial: 'running',
  states: {
    running: {
      // Re-entering re-arms the delay: one pending timer per tick, on the actor's clock.
      after: { interval: { target: 'running', reenter: true, actions: 'refresh' } },
    },
  },
});

export interface TickerOptions extends TickerInput {
  /** Called for every change (never for a refresh that left the rates as they were). */
  onChange?: (change: RatesChanged) => void;
  /** The clock of the `after` delay; pass the system's so one `SimulatedClock` drives both. */
  clock?: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
  /** xstate inspection observer (e.g. `@statelyai/inspect`), so the ticker shows up beside the system. */
  inspect?: (event: InspectionEvent) => void;
}

export interface Ticker {
  readonly actor: Actor<typeof tickerMachine>;
  /** The rates now: what a new stream gets as its first chunk. */
  current(): Rates;
  /** Changes so far (the id of the last `rates.changed`). */
  version(): number;
  /** Adds a change listener; returns the function that removes it. */
  onChange(listener: (change: RatesChanged) => void): () => void;
  stop(): void;
}

/** Creates and starts a ticker. */
export function createTicker(options: TickerOptions = {}): Ticker {
  const { onChange, clock, inspect, ...input } = options;
  const actor = createActor(tickerMachine, {
    // A readable actor id in inspectors (the machine id names the logic, not the actor).
    id: 'ticker',
    input,
    ...(clock ? { clock } : {}),
    ...(inspect ? { inspect } : {}),
  });
  const ticker: Ticker = {
    actor,
    current: () => actor.getSnapshot().context.rates,
    version: () => actor.getSnapshot().context.version,
    onChange(listener) {
      const subscription = actor.on('rates.changed', listener);
      return () => subscription.unsubscribe();
    },
    stop: () => actor.stop(),
  };
  // Listen before starting so no change can be missed.
  if (onChange) ticker.onChange(onChange);
  actor.start();
  return ticker;
}
