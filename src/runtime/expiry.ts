import type { Frame } from '../protocol/frame.ts';

/** Events are queued in notify order, so the first event tells whether any has expired (no allocation on the hot path). */
export function hasExpired(frames: readonly Frame[], cutoff: number): boolean {
  for (const frame of frames) if (frame.event) return frame.at < cutoff;
  return false;
}

/**
 * Events that waited in a mailbox past the history TTL are not delivered: the client gets a reset
 * in their place (so it refetches state instead of silently missing them), then what is fresh.
 * `cursor` is the last id the client has; `reset(lastId)` makes the reset frame.
 */
export function dropExpired(frames: readonly Frame[], cutoff: number, cursor: string | undefined, reset: (lastEventId: string) => Frame): Frame[] {
  let firstFresh = -1;
  let expiredAny = false;
  let lastExpiredId = cursor ?? '';
  const kept: Frame[] = [];
  for (const frame of frames) {
    if (frame.event && frame.at < cutoff) {
      expiredAny = true;
      if (frame.id !== undefined) lastExpiredId = frame.id;
      continue;
    }
    if (expiredAny && firstFresh === -1) firstFresh = kept.length;
    kept.push(frame);
  }
  kept.splice(firstFresh === -1 ? kept.length : firstFresh, 0, reset(lastExpiredId));
  return kept;
}
