/** Commands bench/run.ts sends to the load client (bench/load/client.ts) over IPC. */
export type Command =
  | { type: 'open'; port: number; path: string; count: number; concurrency: number; timeoutMs: number; sources?: number; sourceOffset?: number }
  /** Closes every stream, or only the `count` opened last. */
  | { type: 'close'; count?: number }
  | { type: 'paced'; port: number; topic: string; rate: number; durationMs: number; drainMs: number; body: string }
  | { type: 'burst'; port: number; topic: string; count: number; timeoutMs: number; body: string }
  | { type: 'churn'; port: number; path: string; cycles: number; concurrency: number; timeoutMs: number }
  /** How many events the open streams have received so far, and how many streams are open. */
  | { type: 'count' }
  /** Waits until the open streams have received `delivered` events in all (false past `timeoutMs`). */
  | { type: 'await'; delivered: number; timeoutMs: number }
  | { type: 'exit' };

export type Reply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };
