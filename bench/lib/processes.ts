import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Command, Reply } from '../load/protocol.ts';

/** The `taskset` binary when this machine has one (pins a process to a core). */
export const TASKSET = (() => {
  try {
    return execFileSync('sh', ['-c', 'command -v taskset'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
})();

/** Pins this very process to `core` (best effort). */
export function pinSelf(core: number): boolean {
  if (!TASKSET) return false;
  try {
    execFileSync(TASKSET, ['-cp', String(core), String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Starts `node [nodeArgs] script` with an IPC channel, pinned to `core` (or a taskset list, `0-1`) when taskset exists. */
export function startNode(script: URL, nodeArgs: string[], core: number | string): ChildProcess {
  const args = [...nodeArgs, '--import', 'tsx', fileURLToPath(script)];
  const [command, argv] = TASKSET ? [TASKSET, ['-c', String(core), process.execPath, ...args]] : [process.execPath, args];
  return spawn(command, argv, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

/** Waits for the first IPC message that `accept` returns a value for. */
export function nextMessage<T>(child: ChildProcess, accept: (message: unknown) => T | undefined, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`no message from pid ${child.pid} within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (message: unknown) => {
      const value = accept(message);
      if (value !== undefined) finish(undefined, value);
    };
    const onExit = (code: number | null) => finish(new Error(`pid ${child.pid} exited (${code}) before answering`));
    function finish(error: Error | undefined, value?: T) {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(value as T);
    }
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

/** Resolves once the child exited; kills it after `graceMs`. */
export function exited(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** The load client process, with a typed request/reply over IPC. */
export class LoadClient {
  private seq = 1;
  private constructor(private readonly child: ChildProcess) {}

  static async start(core: number): Promise<LoadClient> {
    const child = startNode(new URL('../load/client.ts', import.meta.url), [], core);
    await nextMessage(child, (m) => ((m as Reply).id === 0 ? true : undefined), 30_000);
    return new LoadClient(child);
  }

  async send<T>(command: Command, timeoutMs: number): Promise<T> {
    const id = this.seq++;
    const reply = nextMessage(this.child, (m) => ((m as Reply).id === id ? (m as Reply) : undefined), timeoutMs);
    this.child.send({ id, command });
    const answer = await reply;
    if (!answer.ok) throw new Error(`load client: ${answer.error}`);
    return answer.result as T;
  }

  /** SIGSTOP / SIGCONT: a stopped client takes no CPU, and what it is sent waits in its sockets. */
  signal(signal: 'SIGSTOP' | 'SIGCONT'): void {
    this.child.kill(signal);
  }

  async stop(): Promise<void> {
    this.signal('SIGCONT');
    const gone = exited(this.child, 5000);
    this.child.send({ id: this.seq++, command: { type: 'exit' } });
    await gone;
  }
}
