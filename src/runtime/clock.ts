/**
 * The timer source of a system: xstate's clock interface plus `now()`. xstate's `SimulatedClock`
 * fits as is, so tests step time instead of sleeping.
 * @example
 * ```ts
 * import { SimulatedClock } from 'xstate';
 *
 * const clock = new SimulatedClock();
 * const system = createSystem({ topics: ['news'], clock, keepAlive: 1000 });
 * clock.increment(1000); // an idle stream gets its keep-alive now, without waiting a second
 * ```
 */
export interface Clock {
  setTimeout(fn: (...args: unknown[]) => void, timeout: number): unknown;
  clearTimeout(id: unknown): void;
  now(): number;
}

/** Resolves once `done` settled or `timeoutMs` passed on `clock`, whichever comes first; never rejects. */
export async function within(clock: Clock, done: Promise<unknown>, timeoutMs: number): Promise<void> {
  let timer: unknown;
  await Promise.race([done.then(() => undefined, () => undefined), new Promise<void>((resolve) => (timer = clock.setTimeout(() => resolve(), timeoutMs)))]);
  clock.clearTimeout(timer);
}
