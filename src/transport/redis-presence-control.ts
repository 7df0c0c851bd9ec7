import { randomUUID } from 'node:crypto';
import type { DisconnectSelector, PresenceHost } from './presence-types.ts';
import { streamKey } from './redis-keys.ts';
import { CONTROL_TOPIC, REQUEST_SCRIPT, evalScript, liveKey } from './redis-presence-scripts.ts';
import type { TransportMessage } from './types.ts';

interface Waiting {
  readonly need: Set<string>;
  sum: number;
  done(): void;
}

/**
 * `disconnect` across nodes on Redis: a request appended to the control stream that every node
 * reads, and each other node's count appended as a reply to it.
 * @example
 * ```ts
 * const requests = new DisconnectRequests({ prefix: 'app:', send: (key, args) => conn.send(key, args) });
 * const endedElsewhere = await requests.ask({ user: 'u1' }, 'n1#1a2b3c4d', 2000);
 * ```
 */
export class DisconnectRequests {
  private readonly waiting = new Map<string, Waiting>();

  constructor(private readonly link: { readonly prefix: string; send(key: string, args: string[]): Promise<unknown> }) {}

  /**
   * Appends the request and resolves with the sum of the counts of every other incarnation alive at
   * that instant, once all replied, or after `timeoutMs` with those that did (a node that died
   * meanwhile ended nothing more: its streams died with it).
   */
  async ask(selector: DisconnectSelector, from: string, timeoutMs: number): Promise<number> {
    const request = randomUUID();
    const { prefix } = this.link;
    const body = JSON.stringify({ type: 'request', from, selector });
    const live = (await evalScript(this.link, REQUEST_SCRIPT, [streamKey(prefix, CONTROL_TOPIC), liveKey(prefix)], [request, body])) as string[];
    const need = new Set(live.filter((inc) => inc !== from));
    if (need.size === 0) return 0;
    return new Promise<number>((resolve) => {
      const timer = setTimeout(() => waiting.done(), timeoutMs);
      const waiting: Waiting = {
        need,
        sum: 0,
        done: () => {
          clearTimeout(timer);
          this.waiting.delete(request);
          resolve(waiting.sum);
        },
      };
      this.waiting.set(request, waiting);
    });
  }

  /** A control message read from the stream: another node's request (run on `host`, if any), or a reply to one of ours. */
  receive(message: TransportMessage, self: string, host: PresenceHost | undefined): void {
    let body: { type?: string; from?: string; to?: string; selector?: DisconnectSelector; count?: number };
    try {
      body = JSON.parse(message.text) as typeof body;
    } catch {
      return;
    }
    if (body.type === 'request' && body.from !== self && body.selector && host) {
      const count = host.disconnect(body.selector);
      const key = streamKey(this.link.prefix, CONTROL_TOPIC);
      const reply = JSON.stringify({ type: 'reply', from: self, to: body.from, count });
      void this.link.send(key, ['XADD', key, 'MAXLEN', '~', '1000', '*', 'i', message.id, 't', reply, 'p', String(Date.now())]).catch(() => undefined);
    } else if (body.type === 'reply' && body.to === self && body.from !== undefined) {
      const waiting = this.waiting.get(message.id);
      if (!waiting?.need.delete(body.from)) return;
      waiting.sum += Number(body.count) || 0;
      if (waiting.need.size === 0) waiting.done();
    }
  }

  /** Resolves every request still waiting with what it has. */
  stop(): void {
    for (const waiting of [...this.waiting.values()]) waiting.done();
  }
}
