import type { ChildProcess } from 'node:child_process';
import { forkListening } from './nodes.ts';

/** A node process with presence (test/fixtures/presence-node.ts) on its own port, driven over IPC. */
export class PresenceNode {
  private seq = 0;
  private readonly waiting = new Map<number, (message: { value?: unknown; error?: string }) => void>();
  private constructor(
    readonly child: ChildProcess,
    readonly url: string,
    readonly name: string,
  ) {
    child.on('message', (message: { type: string; seq: number; value?: unknown; error?: string }) => {
      if (message.type !== 'result') return;
      this.waiting.get(message.seq)?.(message);
      this.waiting.delete(message.seq);
    });
  }

  static async start(env: Record<string, string>, timeoutMs = 30_000): Promise<PresenceNode> {
    const { child, url } = await forkListening(new URL('../fixtures/presence-node.ts', import.meta.url), env, timeoutMs);
    return new PresenceNode(child, url, env.NODE ?? '');
  }

  /** Runs `system.presence` / `occupancy` / `disconnect` in the node; rejects with its error text or after 10 s. */
  call<T>(op: 'presence' | 'occupancy' | 'disconnect', arg: unknown): Promise<T> {
    const seq = (this.seq += 1);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(seq);
        reject(new Error(`node ${this.name}: ${op} did not answer within 10 s`));
      }, 10_000);
      this.waiting.set(seq, (message) => {
        clearTimeout(timer);
        if (message.error === undefined) resolve(message.value as T);
        else reject(new Error(message.error));
      });
      this.child.send({ type: 'call', seq, op, arg });
    });
  }

  /** Stops the node (SIGKILL: at once, as a crash) and waits until the process is gone. */
  kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.kill(signal);
    });
  }
}
