/**
 * A latency histogram with logarithmic buckets (2% wide, 1 µs to ~2 min): constant memory
 * whatever the number of samples, percentiles within 2%.
 */
export class Histogram {
  private static readonly RATIO = 1.02;
  private static readonly MIN_MS = 0.001;
  private static readonly LOG_RATIO = Math.log(Histogram.RATIO);
  private readonly buckets = new Float64Array(Math.ceil(Math.log(120_000 / Histogram.MIN_MS) / Histogram.LOG_RATIO) + 1);
  count = 0;
  max = 0;

  /** Records `n` samples of `ms` milliseconds. */
  record(ms: number, n = 1): void {
    const clamped = ms < Histogram.MIN_MS ? Histogram.MIN_MS : ms;
    const i = Math.min(this.buckets.length - 1, Math.floor(Math.log(clamped / Histogram.MIN_MS) / Histogram.LOG_RATIO));
    this.buckets[i] = (this.buckets[i] ?? 0) + n;
    this.count += n;
    if (ms > this.max) this.max = ms;
  }

  /** The `p`-th percentile (0–100) in ms: the upper edge of the bucket it falls in; NaN when empty. */
  percentile(p: number): number {
    if (this.count === 0) return Number.NaN;
    const rank = Math.ceil((p / 100) * this.count);
    let seen = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      seen += this.buckets[i] ?? 0;
      if (seen >= rank) return Math.min(this.max, Histogram.MIN_MS * Histogram.RATIO ** (i + 1));
    }
    return this.max;
  }

  reset(): void {
    this.buckets.fill(0);
    this.count = 0;
    this.max = 0;
  }
}
