import { fork, type ChildProcess } from 'node:child_process';

/** A node process (test/fixtures/redis-node.ts) on its own port, driven over IPC. */
export class NodeProcess {
  private seq = 0;
  private readonly waiting = new Map<number, (error: string | undefined) => void>();
  private constructor(
    readonly child: ChildProcess,
    readonly url: string,
  ) {
    child.on('message', (message: { type: string; seq: number; error?: string }) => {
      if (message.type === 'notified') this.waiting.get(message.seq)?.(message.error);
      this.waiting.delete(message.seq);
    });
  }

  static async start(env: Record<string, string>, timeoutMs = 30_000): Promise<NodeProcess> {
    const { child, url } = await forkListening(new URL('../fixtures/redis-node.ts', import.meta.url), env, timeoutMs);
    return new NodeProcess(child, url);
  }

  /** Notifies on this node; resolves once its transport took the event, rejects with the node's error text. */
  notify(topic: string, id: string, data = id): Promise<void> {
    const seq = (this.seq += 1);
    return new Promise((resolve, reject) => {
      this.waiting.set(seq, (error) => (error === undefined ? resolve() : reject(new Error(error))));
      this.child.send({ type: 'notify', seq, topic, id, data });
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

/**
 * Forks a node fixture (under tsx, IPC, stderr shown) and resolves once it says `listening` with
 * its port; rejects (and kills it) if it exits first or does not listen within `timeoutMs`.
 */
export function forkListening(fixture: URL, env: Record<string, string>, timeoutMs: number): Promise<{ child: ChildProcess; url: string }> {
  const child = fork(fixture, [], { execArgv: ['--import', 'tsx'], env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`node ${env.NODE ?? ''} did not listen within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('exit', (code) => reject(new Error(`node ${env.NODE ?? ''} exited with ${String(code)} before listening`)));
    child.on('message', (message: { type: string; port?: number }) => {
      if (message.type !== 'listening') return;
      clearTimeout(timer);
      resolve({ child, url: `http://127.0.0.1:${String(message.port)}` });
    });
  });
}
