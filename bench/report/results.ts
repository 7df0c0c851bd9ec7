import type { RedisBenchResult } from '../redis.ts';
import type { StormRun } from '../storm.ts';
import type { H2BenchResult } from '../h2.ts';
import type { TopicsBenchResult } from '../topics.ts';
import type { Config } from '../config.ts';
import type { IdleResult } from '../scenarios/idle.ts';
import type { FanoutResult } from '../scenarios/fanout.ts';
import type { BurstResult } from '../scenarios/burst.ts';
import type { ChurnResult } from '../scenarios/churn.ts';
import type { ScaleResult } from '../scenarios/scale.ts';
import type { machine } from '../lib/machine.ts';

/** Everything one `npm run bench` measured (bench/results/*.json, without `summary`). */
export interface Results {
  meta: Awaited<ReturnType<typeof machine>> & {
    quick: boolean;
    pinned: boolean;
    config: Config;
    startedAt: string;
    durationS: number;
  };
  targets: Array<{ id: string; label: string }>;
  idle: Record<string, IdleResult>;
  fanout: Record<string, FanoutResult>;
  burst: Record<string, BurstResult>;
  churn: Record<string, ChurnResult>;
  /** The Redis transport against the memory transport (bench/redis.ts), when the `redis` scenario ran. */
  redis?: RedisBenchResult;
  /** The cost curve per stream, one process against N (bench/scenarios/scale.ts), when the `scale` scenario ran. */
  scale?: ScaleResult;
  /** A deploy's reconnect storm, busy jitter on and off (bench/storm.ts), when the `storm` scenario ran. */
  storm?: StormRun[];
  /** Server CPU per delivery on h2c against HTTP/1.1 (bench/h2.ts), when the `h2` scenario ran. */
  h2?: H2BenchResult;
  /** Topics at runtime (bench/topics.ts), when the `topics` scenario ran. */
  topics?: TopicsBenchResult;
  /** Measurements that failed (the run goes on without them). */
  errors: Array<{ scenario: string; target: string; message: string }>;
  /** Share (0–1) of the machine's CPU that other processes used before and during each measurement. */
  busy: Array<{ scenario: string; target: string; before: number; mean: number; max: number }>;
}
