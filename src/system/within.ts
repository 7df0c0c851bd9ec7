import type { Clock } from '../runtime/clock.ts';

/** Resolves once `done` resolved or `timeoutMs` passed on `clock` (the system's: tests step it). */
export async function within(clock: Clock, done: Promise<unknown>, timeoutMs: number): Promise<void> {
  let timer: unknown;
  await Promise.race([done, new Promise<void>((resolve) => (timer = clock.setTimeout(() => resolve(), timeoutMs)))]);
  clock.clearTimeout(timer);
}
