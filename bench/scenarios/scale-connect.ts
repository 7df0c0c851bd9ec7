// The connect targets taken pairwise. In the scale rounds each layout opens its levels in a minute
// of its own, and on a shared 2-core VM the same code's CPU per connect swung by up to 2× from one
// minute to the next (97 and 187 µs for system.stream at 18,000 streams in two rounds of one run),
// more than the targets' margins. Here every one-process layout runs at once, each pinned to the
// server core with a load client of its own, and they open their streams in small batches taken in
// turn (the order rotating every cycle), so whatever the machine does in a given second falls on all
// of them alike. Every loop is bounded in count and time.
import os from 'node:os';
import { startFleet, type Fleet, type LayoutId } from '../lib/fleet.ts';
import { LoadClient } from '../lib/processes.ts';
import { cpuDelta, waitForConnections } from '../lib/server.ts';
import { openOn } from './scale-fan-out.ts';

/** One layout's share of the paired openings. */
export interface PairedLayout {
  id: LayoutId;
  /** Streams opened in the counted batches, and the server CPU (µs) and wall time (ms) they took. */
  connects: number;
  cpuUs: number;
  ms: number;
  cpuPerConnectUs: number;
  connectsPerSecond: number;
  /** Of the CPU per connect, the part spent in garbage collection (µs). */
  gcPerConnectUs: number;
  /** Each counted batch's server CPU per connect (µs), in order. */
  batches: number[];
}

export interface PairedConnects {
  /** Streams every layout held at the top of each pass. */
  streams: number;
  /** Streams per batch; every layout opened one batch per cycle. */
  batch: number;
  /** Every layout held this many first; each pass opened from here to `streams` and closed back (the top level's openings, as in the rounds). */
  from: number;
  passes: number;
  layouts: PairedLayout[];
}

interface Side {
  id: LayoutId;
  fleet: Fleet;
  client: LoadClient;
  cpuUs: number;
  gcUs: number;
  ms: number;
  connects: number;
  batches: number[];
}

const SINGLE: readonly LayoutId[] = ['raw', 'actors-stream', 'actors-koa', 'koa-floor'];

/** Opens `count` more streams on a side and waits until its server holds `total`; server CPU (µs) and wall time (ms). */
async function batch(side: Side, count: number, total: number, sources: number, sourceOffset: number): Promise<{ cpuUs: number; gcUs: number; ms: number }> {
  const before = await side.fleet.stats(false);
  const started = performance.now();
  await openOn(side.client, side.fleet.ports[0] as number, count, sources, sourceOffset, `paired connects, ${side.id}`);
  await waitForConnections((gc) => side.fleet.stats(gc), total, 60_000, `paired connects, ${side.id}`);
  const ms = performance.now() - started;
  const after = await side.fleet.stats(false);
  return { cpuUs: cpuDelta(before, after), gcUs: after.gcUs - before.gcUs, ms };
}

/**
 * Every one-process layout of `layouts` (raw among them) opens `from` streams, then in each of
 * `passes` passes opens up to `streams`, `batchSize` at a time in turn, and closes back to `from`;
 * only the passes' batches are counted. More than one pass, because one pass holds one or two of a
 * process's major GCs (each 100–250 ms of CPU at these heaps): which batch they land in is luck, and
 * over one pass of 8,000 connects a GC more or less moved a layout's figure by 20–30 µs. Each side's
 * client connects from addresses of its own, new ones each pass (`sources` each, from
 * `sourceOffset`: closed streams keep their ports in TIME_WAIT). `warmUp` readies a side as the rounds do.
 */
export async function pairedConnects(
  layouts: readonly LayoutId[],
  streams: number,
  from: number,
  batchSize: number,
  passes: number,
  sources: number,
  sourceOffset: number,
  clientCore: number,
  warmUp: (fleet: Fleet, client: LoadClient, sources: number, sourceOffset: number) => Promise<void>,
): Promise<PairedConnects> {
  const ids = SINGLE.filter((id) => layouts.includes(id));
  if (!ids.includes('raw') || ids.length < 2) throw new Error('paired connects need raw node:http and another one-process layout');
  if (!(from >= 0 && from < streams)) throw new Error(`paired connects: from (${from}) must be below streams (${streams})`);
  const sides: Side[] = [];
  // Address blocks: [warm-up, fill, pass 1, …] for side 0, then side 1, …
  const blocks = 2 + passes;
  const addresses = (n: number, block: number): number => sourceOffset + (n * blocks + block) * sources;
  try {
    for (const [n, id] of ids.entries()) {
      const fleet = await startFleet(id, 1, os.cpus().length, []);
      const client = await LoadClient.start(clientCore).catch(async (error: unknown) => {
        await fleet.stop();
        throw error;
      });
      sides.push({ id, fleet, client, cpuUs: 0, gcUs: 0, ms: 0, connects: 0, batches: [] });
      await warmUp(fleet, client, sources, addresses(n, 0));
      if (from > 0) await batch(sides[n] as Side, from, from, sources, addresses(n, 1));
    }
    const cycles = Math.ceil((streams - from) / batchSize);
    for (let pass = 0; pass < passes; pass++) {
      for (let cycle = 0, open = from; cycle < cycles; cycle++) {
        const count = Math.min(batchSize, streams - open);
        // The order rotates: no layout always comes right after another one's batch.
        const order = sides.map((_, k) => sides[(k + cycle + pass) % sides.length] as Side);
        for (const side of order) {
          const n = sides.indexOf(side);
          const taken = await batch(side, count, open + count, sources, addresses(n, 2 + pass));
          side.cpuUs += taken.cpuUs;
          side.gcUs += taken.gcUs;
          side.ms += taken.ms;
          side.connects += count;
          side.batches.push(taken.cpuUs / count);
        }
        open += count;
      }
      for (const side of sides) {
        await side.client.send({ type: 'close', count: streams - from }, 30_000);
        await waitForConnections((gc) => side.fleet.stats(gc), from, 60_000, `paired connects, ${side.id} closing`);
      }
    }
    return {
      streams,
      batch: batchSize,
      from,
      passes,
      layouts: sides.map(({ id, connects, cpuUs, gcUs, ms, batches }) => ({ id, connects, cpuUs, ms, cpuPerConnectUs: cpuUs / connects, connectsPerSecond: (connects / ms) * 1000, gcPerConnectUs: gcUs / connects, batches })),
    };
  } finally {
    for (const side of sides) {
      await side.client.send({ type: 'close' }, 30_000).catch(() => undefined);
      await side.client.stop().catch(() => undefined);
      await side.fleet.stop().catch(() => undefined);
    }
  }
}
