// Idle: memory of N open, silent streams. Heap and RSS after a full GC at 0, N/steps, …, N.
import { Server } from '../lib/server.ts';
import { openStreams, type ScenarioContext } from './types.ts';

export interface IdlePoint {
  connections: number;
  heapUsed: number;
  rss: number;
  external: number;
}

export interface IdleResult {
  connections: number;
  points: IdlePoint[];
  /** Bytes per connection between 0 and N connections. */
  heapPerConnection: number;
  rssPerConnection: number;
  externalPerConnection: number;
  openPerSecond: number;
}

export async function idle(ctx: ScenarioContext): Promise<IdleResult> {
  const { connections: n, steps } = ctx.config.idle;
  const server = await Server.start(ctx.target, ctx.nodeArgs);
  try {
    const point = async (connections: number): Promise<IdlePoint> => {
      await server.waitForConnections(connections, 30_000);
      const { heapUsed, rss, external } = await server.stats();
      return { connections, heapUsed, rss, external };
    };
    const points = [await point(0)];
    let opened = 0;
    let openMs = 0;
    for (let step = 1; step <= steps; step++) {
      const next = Math.round((n * step) / steps);
      const result = await openStreams(ctx, server.port, next - opened, next);
      openMs += result.ms;
      opened = next;
      points.push(await point(opened));
    }
    await ctx.client.send({ type: 'close' }, 30_000);
    const first = points[0] as IdlePoint;
    const last = points[points.length - 1] as IdlePoint;
    const result = {
      connections: n,
      points,
      heapPerConnection: (last.heapUsed - first.heapUsed) / n,
      rssPerConnection: (last.rss - first.rss) / n,
      externalPerConnection: (last.external - first.external) / n,
      openPerSecond: (n / openMs) * 1000,
    };
    ctx.log(`heap ${(result.heapPerConnection / 1024).toFixed(2)} KB/conn, rss ${(result.rssPerConnection / 1024).toFixed(2)} KB/conn`);
    return result;
  } finally {
    await server.stop();
  }
}
