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

  static start(env: Record<string, string>, timeoutMs = 30_000): Promise<NodeProcess> {
    const child = fork(new URL('../fixtures/redis-node.ts', import.meta.url), [], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`node ${env.NODE ?? ''} did not listen within ${timeoutMs} ms`));
      }, timeoutMs);
      child.once('exit', (code) => reject(new Error(`node ${env.NODE ?? ''} exited with ${String(code)} before listening`)));
      child.on('message', (message: { type: string; port?: number }) => {
        if (message.type !== 'listening') return;
        clearTimeout(timer);
        resolve(new NodeProcess(child, `http://127.0.0.1:${String(message.port)}`));
      });
    });
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
