/** Encoded bytes ready for the wire; one frame object is shared by every subscriber of an event. */
export interface Frame {
  readonly bytes: Buffer;
  /** The wire id, when the frame carries one. */
  readonly id: string | undefined;
  /** True for a notified event (counted in `delivered`, subject to the history TTL); false for the initial chunk and comments. */
  readonly event: boolean;
  /** When the event was notified, on the system clock (0 for frames that are not events). */
  readonly at: number;
  /** The topic's counter of event frames written to sockets (events only). */
  readonly counter?: { delivered: number };
}

/** A frame that is not an event: an initial chunk, a comment, a reset notice. */
export function controlFrame(text: string, id?: string): Frame {
  return { bytes: Buffer.from(text), id, event: false, at: 0 };
}
