import type { Config } from '../config.ts';
import type { LoadClient } from '../lib/processes.ts';
import type { Target } from '../targets.ts';

export interface ScenarioContext {
  readonly target: Target;
  readonly config: Config;
  readonly client: LoadClient;
  /** Payload filler appended to every published event. */
  readonly body: string;
  /** Extra node flags for the server (e.g. --cpu-prof). */
  readonly nodeArgs: string[];
  log(line: string): void;
}

export interface OpenResult {
  open: number;
  ms: number;
  failures: string[];
}

export const SSE_PATH = '/sse?topic=t';
export const TOPIC = 't';

/** Opens `count` more streams and checks the server counts them all. */
export async function openStreams(ctx: ScenarioContext, port: number, count: number, expectedTotal: number): Promise<OpenResult> {
  const timeoutMs = 30_000 + count * 10;
  const result = await ctx.client.send<OpenResult>(
    { type: 'open', port, path: SSE_PATH, count, concurrency: ctx.config.openConcurrency, timeoutMs },
    timeoutMs + 10_000,
  );
  if (result.open !== expectedTotal) {
    throw new Error(`${ctx.target.id}: ${result.open} of ${expectedTotal} streams open (${result.failures.join('; ')})`);
  }
  return result;
}
