/** The servers every scenario runs against (bench/servers/*.ts, all speaking bench/servers/contract.ts). */
export interface Target {
  readonly id: TargetId;
  readonly label: string;
  readonly script: string;
}

export type TargetId = 'raw' | 'better-sse' | 'koa' | 'koa-floor' | 'actors-koa' | 'actors-koa-routed' | 'actors-stream';

export const TARGETS: readonly Target[] = [
  { id: 'raw', label: 'raw node:http', script: 'raw-http.ts' },
  { id: 'better-sse', label: 'better-sse', script: 'better-sse.ts' },
  { id: 'koa', label: 'Koa hand-rolled', script: 'koa-hand-rolled.ts' },
  // Koa's own cost: raw's loop in one Koa middleware writing to ctx.res (what sse-actors through Koa adds is the rest).
  { id: 'koa-floor', label: 'Koa floor (raw loop in Koa)', script: 'koa-floor.ts' },
  { id: 'actors-koa', label: 'sse-actors (Koa)', script: 'sse-actors-koa.ts' },
  { id: 'actors-koa-routed', label: 'sse-actors (Koa, route middleware first)', script: 'sse-actors-koa-routed.ts' },
  { id: 'actors-stream', label: 'sse-actors (system.stream)', script: 'sse-actors-stream.ts' },
];

export const BASELINES = ['raw', 'better-sse'] as const satisfies readonly TargetId[];
export const OURS = ['actors-koa', 'actors-koa-routed', 'actors-stream'] as const satisfies readonly TargetId[];

export function label(id: string): string {
  return TARGETS.find((t) => t.id === id)?.label ?? id;
}
