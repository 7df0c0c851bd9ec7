import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * Private Redis servers for tests that stop, pause or cluster Redis: never the shared
 * 127.0.0.1:6379. Each lives in its own temp dir on a free loopback port and is shut down (dir
 * removed) by `stop()`, and at the latest when the test process exits.
 */

const run = promisify(execFile);
const live = new Set<{ port: number; dir: string }>();
process.on('exit', () => {
  for (const server of live) {
    try {
      execFileSync('redis-cli', ['-p', String(server.port), 'shutdown', 'nosave'], { timeout: 2000, stdio: 'ignore' });
    } catch {
      // already down
    }
    rmSync(server.dir, { recursive: true, force: true });
  }
});

function requireRedis(): void {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
  } catch {
    throw new Error('redis-server and redis-cli are needed for this test: apt-get install -y redis-server');
  }
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/** A free loopback port whose cluster bus port (+10000) is free too. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 30_000);
    if ((await isFree(port)) && (await isFree(port + 10_000))) return port;
  }
  throw new Error('no free loopback port found for redis-server');
}

export async function cli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-p', String(port), ...args], { timeout: 10_000 });
  return stdout.trim();
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20)); // a poll interval, bounded by the deadline
  }
}

/** One private redis-server that can be stopped and started again on the same port. */
export class PrivateRedis {
  readonly url: string;
  private constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly extra: readonly string[],
  ) {
    this.url = `redis://127.0.0.1:${port}`;
  }

  static async start(extra: readonly string[] = []): Promise<PrivateRedis> {
    requireRedis();
    const dir = mkdtempSync(join(tmpdir(), 'sse-actors-redis-'));
    const server = new PrivateRedis(await freePort(), dir, extra);
    live.add({ port: server.port, dir });
    await server.up();
    return server;
  }

  /** Starts the server (again) on its port. */
  async up(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'yes', '--dir', this.dir, '--logfile', join(this.dir, 'redis.log'), '--pidfile', join(this.dir, 'redis.pid'), ...this.extra];
    await run('redis-server', args, { timeout: 10_000 });
    await until(`redis-server on port ${this.port}`, async () => (await cli(this.port, 'ping')) === 'PONG');
  }

  /** Shuts the server down (its data goes: no persistence) and waits until the port is closed. */
  async down(): Promise<void> {
    await cli(this.port, 'shutdown', 'nosave').catch(() => undefined);
    await until(`redis-server on port ${this.port} to stop`, () => isFree(this.port));
  }

  async stop(): Promise<void> {
    await this.down();
    for (const server of live) if (server.port === this.port) live.delete(server);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Three masters joined into a Redis Cluster (no replicas). */
export class RedisCluster {
  private constructor(readonly servers: readonly PrivateRedis[]) {}

  get rootNodes(): string[] {
    return this.servers.map((server) => server.url);
  }

  static async start(): Promise<RedisCluster> {
    const servers: PrivateRedis[] = [];
    try {
      for (let n = 0; n < 3; n++) servers.push(await PrivateRedis.start(['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '2000']));
      const addresses = servers.map((server) => `127.0.0.1:${server.port}`);
      await run('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'], { timeout: 30_000 });
      for (const server of servers) {
        await until(`cluster_state:ok on port ${server.port}`, async () => (await cli(server.port, 'cluster', 'info')).includes('cluster_state:ok'), 20_000);
      }
      return new RedisCluster(servers);
    } catch (error) {
      await Promise.all(servers.map((server) => server.stop()));
      throw error;
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.servers.map((server) => server.stop()));
  }
}
