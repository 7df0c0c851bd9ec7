/** Encoded bytes ready for the wire; one frame object is shared by every subscriber of an event. */
export interface Frame {
  readonly bytes: Buffer;
  /** The wire id, when the frame carries one. */
  readonly id: string | undefined;
  /** True for a notified event (counted in `delivered`, subject to the history TTL); false for the initial chunk and comments. */
  readonly event: boolean;
  /** When the event was notified, on the system clock (0 for frames that are not events). */
  readonly at: number;
  /** The topic of a notified event (what per-topic counts are kept by); undefined for control frames. */
  readonly topic?: string;
}

/**
 * Several frames as one write: their bytes joined, how many are events (each counted on its topic
 * by `counts`) and the last id among them.
 */
export function gatherFrames(frames: readonly Frame[], counts: { deliveredOn(topic: string, frames: number): void }): { bytes: Buffer; events: number; lastId: string | undefined } {
  let events = 0;
  let lastId: string | undefined;
  let length = 0;
  for (const frame of frames) {
    length += frame.bytes.length;
    if (frame.event) {
      events += 1;
      if (frame.topic !== undefined) counts.deliveredOn(frame.topic, 1);
    }
    if (frame.id !== undefined) lastId = frame.id;
  }
  return { bytes: frames.length === 1 ? (frames[0] as Frame).bytes : Buffer.concat(frames.map((f) => f.bytes), length), events, lastId };
}

/** A frame that is not an event: an initial chunk, a comment, a reset notice. */
export function controlFrame(text: string, id?: string): Frame {
  return { bytes: Buffer.from(text), id, event: false, at: 0 };
}

/**
 * The frame of an initial chunk, shared. Streams opened one after another usually start with the
 * same chunk (the same state, until it changes): the last frame is reused while its text and id are
 * the same, so each stream does not encode a buffer of its own. Frames are never written to.
 */
export class LastFrameCache {
  private last: { text: string; frame: Frame } | undefined;

  frame(text: string, id: string | undefined): Frame {
    const last = this.last;
    if (last !== undefined && last.text === text && last.frame.id === id) return last.frame;
    const frame = controlFrame(text, id);
    this.last = { text, frame };
    return frame;
  }
}
