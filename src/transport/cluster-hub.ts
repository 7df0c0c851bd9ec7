import { WIRE_TAG, type HistoryBounds, type PresenceNotice, type PresenceRequest, type ToPrimary, type ToWorker } from './cluster-wire.ts';
import type { TransportMessage } from './types.ts';

/** One cluster transport as its process's hub sees it. */
export interface Member {
  readonly channel: string;
  /** The primary's log for this member's bounds: restored before any live delivery. */
  joined(log: readonly TransportMessage[]): void;
  deliver(message: TransportMessage): void;
  published(seq: number, error?: string): void;
  /** The way to the primary is gone (the worker was disconnected). */
  lost(): void;
  /** For the member's presence store. */
  presence?(notice: PresenceNotice): void;
}

/**
 * The cluster transports of one process (a worker, or the primary's own systems) and their one
 * line to the relay: the relay sends each event to a process once per channel, the hub hands it to
 * every transport of that channel here. A transport receives deliveries only after its `joined`,
 * which the relay sent in order with them, so its restore and its live events neither overlap nor
 * leave a gap.
 */
// Per process, never reused: an answer still on its way to a stopped transport cannot settle a newer one's publish.
let refs = 0;

export class Hub {
  private readonly members = new Map<number, Member>();
  private readonly channels = new Map<string, Set<Member>>();

  constructor(private readonly send: (message: ToPrimary) => void) {}

  get size(): number {
    return this.members.size;
  }

  join(member: Member, history: HistoryBounds): number {
    const ref = (refs += 1);
    this.members.set(ref, member);
    this.send({ tag: WIRE_TAG, type: 'join', channel: member.channel, ref, history });
    return ref;
  }

  publish(ref: number, seq: number, deadline: number, message: TransportMessage): void {
    const member = this.members.get(ref);
    if (member) this.send({ tag: WIRE_TAG, type: 'publish', channel: member.channel, ref, seq, deadline, message });
  }

  presence(ref: number, seq: number, body: PresenceRequest): void {
    const member = this.members.get(ref);
    if (member) this.send({ tag: WIRE_TAG, type: 'presence', channel: member.channel, ref, seq, body });
  }

  leave(ref: number): void {
    const member = this.members.get(ref);
    if (!member) return;
    this.members.delete(ref);
    this.channels.get(member.channel)?.delete(member);
    this.send({ tag: WIRE_TAG, type: 'leave', channel: member.channel, ref });
  }

  receive(message: ToWorker): void {
    if (message.type === 'deliver') {
      const members = this.channels.get(message.channel);
      if (members) for (const member of members) member.deliver(message.message);
      return;
    }
    const member = this.members.get(message.ref);
    if (!member) return;
    if (message.type === 'presence') return member.presence?.(message.body);
    if (message.type === 'published') return member.published(message.seq, message.error);
    let members = this.channels.get(member.channel);
    if (!members) this.channels.set(member.channel, (members = new Set()));
    members.add(member);
    member.joined(message.log);
  }

  lost(): void {
    for (const member of [...this.members.values()]) member.lost();
  }
}
