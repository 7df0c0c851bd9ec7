// Server CPU per delivered event over h2c against HTTP/1.1: the same system.stream server, STREAMS
// streams (h2: over SESSIONS sessions), EVENTS events in bursts of PER_BURST, a setImmediate between.
// Standalone: node --import tsx bench/h2.ts; also a scenario of bench/run.ts (BENCH_SCENARIOS=h2).
import type { ChildProcess } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { startNode, nextMessage } from './lib/processes.ts';

const env = process.env;
const STREAMS = Number(env.BENCH_H2_STREAMS ?? 200);
const SESSIONS = Number(env.BENCH_H2_SESSIONS ?? 4);
const EVENTS = Number(env.BENCH_H2_EVENTS ?? (env.BENCH_QUICK === '1' ? 500 : 2000));
const PER_BURST = 100;

export interface H2BenchResult {
  streams: number;
  sessions: number;
  events: number;
  /** Server CPU (user + system) per delivered event, µs. */
  cpuPerDeliveryUs: { h1: number; h2: number; ratio: number };
}

const ask = <T>(child: ChildProcess, message: object, type: string, timeoutMs = 120_000): Promise<T> => {
  const reply = nextMessage(child, (m) => ((m as { type?: string }).type === type ? (m as T) : undefined), timeoutMs);
  child.send(message);
  return reply;
};

interface Stats {
  connections: number;
  cpuUs: number;
  delivered: number;
}

async function measure(protocol: 'h1' | 'h2'): Promise<number> {
  process.env.H2_PROTOCOL = protocol;
  const server = startNode(new URL('./h2/server.ts', import.meta.url), ['--conditions=sse-actors-source'], 0);
  const client = startNode(new URL('./h2/client.ts', import.meta.url), [], 1);
  try {
    const { port } = await nextMessage(server, (m) => ((m as { type?: string }).type === 'listening' ? (m as { port: number }) : undefined), 60_000);
    await ask(client, { type: 'open', port, protocol, streams: STREAMS, sessions: SESSIONS }, 'opened');
    const deadline = performance.now() + 30_000;
    while ((await ask<Stats>(server, { type: 'stats' }, 'stats')).connections < STREAMS) if (performance.now() > deadline) throw new Error(`h2 bench ${protocol}: streams did not open`);
    await ask(server, { type: 'burst', events: 100, perBurst: PER_BURST }, 'sent'); // warm-up
    const before = await ask<Stats>(server, { type: 'stats' }, 'stats');
    await ask(server, { type: 'burst', events: EVENTS, perBurst: PER_BURST }, 'sent');
    const expected = STREAMS * (EVENTS + 100);
    while ((await ask<{ events: number }>(client, { type: 'count' }, 'count')).events < expected) {
      if (performance.now() > deadline + 30_000) throw new Error(`h2 bench ${protocol}: not every event arrived (${JSON.stringify(await ask(server, { type: 'stats' }, 'stats'))}, client ${JSON.stringify(await ask(client, { type: 'count' }, 'count'))} of ${expected})`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const after = await ask<Stats>(server, { type: 'stats' }, 'stats');
    return (after.cpuUs - before.cpuUs) / (after.delivered - before.delivered);
  } finally {
    server.kill('SIGKILL');
    client.kill('SIGKILL');
  }
}

export async function h2Bench(log: (line: string) => void): Promise<H2BenchResult> {
  const h1 = await measure('h1');
  const h2 = await measure('h2');
  const result = { streams: STREAMS, sessions: SESSIONS, events: EVENTS, cpuPerDeliveryUs: { h1, h2, ratio: h2 / h1 } };
  log(`h2     ${STREAMS} streams × ${EVENTS} events: server CPU per delivery h1 ${h1.toFixed(2)} µs, h2 ${h2.toFixed(2)} µs (${SESSIONS} sessions): h2/h1 ${(h2 / h1).toFixed(2)}×`);
  return result;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify(await h2Bench((line) => console.log(line)), null, 1));
  process.exit(0);
}
