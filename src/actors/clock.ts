/**
 * The timer source of a system: xstate's clock interface plus `now()`. xstate's `SimulatedClock`
 * fits as is, so tests step time instead of sleeping.
 */
export interface Clock {
  setTimeout(fn: (...args: unknown[]) => void, timeout: number): unknown;
  clearTimeout(id: unknown): void;
  now(): number;
}
