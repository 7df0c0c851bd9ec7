import { readFile, readdir } from 'node:fs/promises';

/** Busy and per-process jiffies from /proc (Linux); undefined elsewhere. */
async function sample(): Promise<{ busy: number; total: number; ours: Map<number, number> } | undefined> {
  try {
    const line = (await readFile('/proc/stat', 'utf8')).split('\n', 1)[0] ?? '';
    const fields = line.trim().split(/\s+/).slice(1).map(Number);
    const total = fields.reduce((s, v) => s + v, 0);
    // user + nice + system only: interrupt and softirq time (loopback networking, our own traffic)
    // is not charged to any process, so counting it would blame others for it.
    const busy = (fields[0] ?? 0) + (fields[1] ?? 0) + (fields[2] ?? 0);
    const ours = new Map<number, number>();
    const parents = new Map<number, number>();
    const times = new Map<number, number>();
    for (const entry of await readdir('/proc')) {
      const pid = Number(entry);
      if (!Number.isInteger(pid)) continue;
      try {
        const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
        // Fields after the command name (which may contain spaces): state ppid … utime(14) stime(15).
        const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        parents.set(pid, Number(rest[1]));
        // Our own utime + stime, plus cutime + cstime: where the time of children already reaped goes.
        times.set(pid, Number(rest[11]) + Number(rest[12]) + (pid === process.pid ? Number(rest[13]) + Number(rest[14]) : 0));
      } catch {
        // the process just exited
      }
    }
    // Ours: this process and every descendant (a cluster primary's workers are grandchildren).
    const isOurs = (pid: number): boolean => {
      for (let at: number | undefined = pid, hops = 0; at !== undefined && at > 1 && hops < 16; at = parents.get(at), hops++) if (at === process.pid) return true;
      return false;
    };
    for (const [pid, jiffies] of times) if (isOurs(pid)) ours.set(pid, jiffies);
    return { busy, total, ours };
  } catch {
    return undefined;
  }
}

/**
 * Watches, once a second, how much CPU processes other than this one and its children (the
 * server and the load client) take while a measurement runs: a benchmark that shared the machine
 * with a test suite is flagged, not silently trusted.
 */
export class ContentionMonitor {
  private timer: NodeJS.Timeout | undefined;
  private last: Awaited<ReturnType<typeof sample>>;
  private shares: number[] = [];

  async start(): Promise<void> {
    this.shares = [];
    this.last = await sample();
    this.timer = setInterval(() => void this.tick(), 1000);
  }

  private async tick(): Promise<void> {
    const next = await sample();
    const prev = this.last;
    this.last = next;
    if (!prev || !next || next.total === prev.total) return;
    let ours = 0;
    // A child started since the last tick used all its time in this interval; one that exited since
    // then is in our cutime (exited between the two ticks, its last share is only approximate).
    for (const [pid, jiffies] of next.ours) ours += jiffies - (prev.ours.get(pid) ?? 0);
    for (const [pid, jiffies] of prev.ours) if (!next.ours.has(pid)) ours -= jiffies;
    const others = Math.max(0, next.busy - prev.busy - ours);
    this.shares.push(others / (next.total - prev.total));
  }

  /** Stops; returns the mean and the highest share (0–1 of the whole machine) others used. */
  stop(): { mean: number; max: number } {
    clearInterval(this.timer);
    const { shares } = this;
    if (shares.length === 0) return { mean: 0, max: 0 };
    return { mean: shares.reduce((s, v) => s + v, 0) / shares.length, max: Math.max(...shares) };
  }
}
