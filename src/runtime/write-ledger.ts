/**
 * What a connection wrote and what reached the socket. Writes complete in order, so the ledger is
 * a FIFO of the writes in flight, each with its event count and last id; a write's callback
 * confirms the oldest. Usually there is one write in flight: it lives in two fields, and more
 * spill into an array of [events, lastId] pairs.
 */
export class WriteLedger {
  /** The last id the socket took (confirmed): `snapshot().lastEventId`. */
  cursor: string | undefined;
  /** The last id handed to the socket (confirmed or on its way): where a restarted actor resumes. */
  written: string | undefined;
  /** Events the socket took. */
  delivered = 0;
  private inFlight = 0;
  private oldestEvents = 0;
  private oldestId: string | undefined;
  private spill: Array<number | string | undefined> | undefined;

  /** `lastEventId`: what the client saw before this stream (its `Last-Event-ID`), the cursor until something newer is written. */
  constructor(lastEventId: string | undefined) {
    this.cursor = lastEventId;
    this.written = lastEventId;
  }

  /** Writes handed to the socket and not confirmed yet. */
  get pending(): number {
    return this.inFlight;
  }

  /** Notes a write about to be handed to the socket: `events` event frames, the last of them with id `lastId`. */
  record(events: number, lastId: string | undefined): void {
    if (lastId !== undefined) this.written = lastId;
    if (this.inFlight++ === 0) {
      this.oldestEvents = events;
      this.oldestId = lastId;
    } else (this.spill ??= []).push(events, lastId);
  }

  /** The oldest write in flight completed: counted and its id becomes the cursor, unless it `failed`. */
  confirm(failed: boolean): void {
    if (this.inFlight === 0) return;
    const events = this.oldestEvents;
    const lastId = this.oldestId;
    if (--this.inFlight > 0 && this.spill) {
      this.oldestEvents = this.spill.shift() as number;
      this.oldestId = this.spill.shift() as string | undefined;
    }
    if (failed) return;
    this.delivered += events;
    if (lastId !== undefined) this.cursor = lastId;
  }
}
