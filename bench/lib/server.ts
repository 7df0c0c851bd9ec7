import http from 'node:http';
import type { ChildProcess } from 'node:child_process';
import type { Target } from '../targets.ts';
import type { Stats } from '../servers/contract.ts';
import { exited, nextMessage, startNode } from './processes.ts';

export const SERVER_CORE = 0;

/** One benchmark server process (a fresh one per target and scenario). */
export class Server {
  private constructor(
    readonly target: Target,
    readonly port: number,
    private readonly child: ChildProcess,
    /** Where streams open, when a server takes them on another port than its control one (the cluster's workers). */
    readonly streamPort = port,
  ) {}

  static async start(target: Target, extraNodeArgs: string[] = [], core: number | string = SERVER_CORE): Promise<Server> {
    const child = startNode(new URL(`../servers/${target.script}`, import.meta.url), ['--expose-gc', ...extraNodeArgs], core);
    const listening = (m: unknown) => ((m as { type?: string }).type === 'listening' ? (m as { port: number; streams?: number }) : undefined);
    const { port, streams } = await nextMessage(child, listening, 60_000);
    return new Server(target, port, child, streams ?? port);
  }

  /** GET /stats; `gc` false skips the full GC (for CPU readings that must not include one). */
  stats(gc = true): Promise<Stats> {
    return new Promise((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port: this.port, path: gc ? '/stats' : '/stats?gc=0', agent: false, timeout: 30_000 }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (part: string) => (body += part));
        res.on('end', () => {
          try {
            resolve(JSON.parse(body) as Stats);
          } catch (error) {
            reject(error as Error);
          }
        });
      });
      req.on('timeout', () => req.destroy(new Error('/stats timed out')));
      req.on('error', reject);
    });
  }

  /** Polls /stats (without GC) until `connections` is `count`; throws past `timeoutMs`. */
  waitForConnections(count: number, timeoutMs: number): Promise<void> {
    return waitForConnections((gc) => this.stats(gc), count, timeoutMs, this.target.id);
  }

  async stop(): Promise<void> {
    const gone = exited(this.child, 10_000);
    if (this.child.connected) this.child.send({ type: 'exit' });
    await gone;
  }
}

/** Polls `stats` (without GC) until `connections` is `count`; throws past `timeoutMs`. */
export async function waitForConnections(stats: (gc: boolean) => Promise<Stats>, count: number, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  while (Date.now() < deadline) {
    last = (await stats(false)).connections;
    if (last === count) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${what}: ${last} connections after ${timeoutMs} ms, expected ${count}`);
}

/** Server CPU (user + system) in µs between two /stats readings. */
export function cpuDelta(before: Stats, after: Stats): number {
  return after.cpuUser + after.cpuSystem - (before.cpuUser + before.cpuSystem);
}
