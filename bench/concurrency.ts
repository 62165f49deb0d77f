/** Concurrency helpers of the scale benchmark. */
import type { LocalMapping } from '../testbed/local-pipeline.ts';

/** Runs `fn` over `items` with at most `n` at a time. */
export async function pool<T, R>(items: T[], n: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}

/**
 * At most `max` mappings hold workers. A mapping keeps its workers while it
 * has executions and stays warm afterwards until its slot is needed: then the
 * least recently used idle mapping's workers stop (Lambda reclaims idle
 * environments too, though on its own schedule).
 */
export class WarmMappings {
  private readonly slots = new Map<LocalMapping, { inflight: number; lastUsed: number; closing: boolean }>();
  private waiters: (() => void)[] = [];
  coldStarts = 0;
  warmStarts = 0;
  private readonly max: number;

  constructor(max: number) {
    this.max = max;
  }

  /** Waits for a slot for `m` (sharing the one it holds), evicting the least recently used idle mapping when full. */
  async acquire(m: LocalMapping): Promise<void> {
    for (;;) {
      const s = this.slots.get(m);
      if (s && !s.closing) {
        if (s.inflight === 0) this.warmStarts++;
        s.inflight++;
        return;
      }
      if (!s && this.slots.size < this.max) {
        this.slots.set(m, { inflight: 1, lastUsed: 0, closing: false });
        this.coldStarts++;
        return;
      }
      const idle = [...this.slots]
        .filter(([, x]) => x.inflight === 0 && !x.closing)
        .sort((a, b) => a[1].lastUsed - b[1].lastUsed)[0];
      if (!s && idle) {
        await this.evict(idle[0]);
        continue;
      }
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  /** Ends one execution of `m`; its workers stay up until the slot is needed. */
  release(m: LocalMapping): void {
    const s = this.slots.get(m)!;
    s.inflight--;
    s.lastUsed = performance.now();
    if (s.inflight === 0) this.wake();
  }

  /** Stops every mapping's workers. */
  async closeAll(): Promise<void> {
    await Promise.all([...this.slots.keys()].map((m) => this.evict(m)));
  }

  private async evict(m: LocalMapping): Promise<void> {
    const s = this.slots.get(m)!;
    s.closing = true;
    await m.close();
    this.slots.delete(m);
    this.wake();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}
