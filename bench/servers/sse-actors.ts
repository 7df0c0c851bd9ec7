// The sse-actors build the two sse-actors servers load: its TypeScript source through tsx (the
// default, so the work tree is measured as it is), or BENCH_SSE_ACTORS=dist for the compiled
// package users get (run `npm run build` first).
type SseActors = typeof import('../../src/index.ts');

const entry = process.env.BENCH_SSE_ACTORS === 'dist' ? '../../dist/index.js' : '../../src/index.ts';
export const { createSystem, sse, clusterPrimary, clusterTransport } = (await import(entry)) as SseActors;
export type { SseSystem } from '../../src/index.ts';
