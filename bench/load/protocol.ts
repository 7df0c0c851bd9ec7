/** Commands bench/run.ts sends to the load client (bench/load/client.ts) over IPC. */
export type Command =
  | { type: 'open'; port: number; path: string; count: number; concurrency: number; timeoutMs: number; sources?: number; sourceOffset?: number }
  | { type: 'close' }
  | { type: 'paced'; port: number; topic: string; rate: number; durationMs: number; drainMs: number; body: string }
  | { type: 'burst'; port: number; topic: string; count: number; timeoutMs: number; body: string }
  | { type: 'churn'; port: number; path: string; cycles: number; concurrency: number; timeoutMs: number }
  | { type: 'exit' };

export type Reply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };
