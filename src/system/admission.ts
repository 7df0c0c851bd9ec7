import type { Frame } from '../protocol/frame.ts';
import type { Sink } from '../runtime/sink.ts';
import type { Admission } from './types.ts';

/** What an admission asks of its system when it attaches or gives its place back. */
export interface AdmissionHost {
  /** Starts the stream on `sink` with `frames` first (replay computed now); returns the connection id. */
  attach(admission: PendingAdmission, sink: Sink): string;
  /** The place taken at admit is given back. */
  cancelled(): void;
}

/**
 * An admitted stream waiting to be attached: its resolved topics, its start frames (retry hint,
 * initial chunk) and the client's last id. It holds one place under `maxConnections` until it is
 * attached or cancelled, whichever comes first; the other is then a no-op (cancel) or an error (attach).
 */
export class PendingAdmission implements Admission {
  private settled = false;

  constructor(
    private readonly host: AdmissionHost,
    readonly topics: readonly string[],
    readonly lastEventId: string | undefined,
    /** Retry hint and initial chunk, in the order they are written. */
    readonly start: Frame[],
  ) {}

  attach(sink: Sink): string {
    if (this.settled) throw new TypeError('This admission was already attached or cancelled: admit the stream again');
    const id = this.host.attach(this, sink);
    this.settled = true;
    return id;
  }

  cancel(): void {
    if (this.settled) return;
    this.settled = true;
    this.host.cancelled();
  }
}
