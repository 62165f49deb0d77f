/** What the numbers were measured on, and the memory of a process tree read from /proc. */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';

/** The machine block of results.json. */
export interface Machine {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly kernel: string;
}

/** CPU model (from /proc/cpuinfo when readable), logical cores, memory, kernel. */
export function machine(): Machine {
  let model = cpus()[0]?.model ?? 'unknown';
  try {
    model =
      readFileSync('/proc/cpuinfo', 'utf8')
        .match(/^model name\s*:\s*(.+)$/m)?.[1]
        ?.trim() ?? model;
  } catch {
    // not Linux: os.cpus() is all we have
  }
  return {
    cpuModel: model,
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: release(),
  };
}

/** `python --version` of an interpreter, or undefined. */
export function pythonVersion(python: string): string | undefined {
  try {
    return execFileSync(python, ['--version'], { encoding: 'utf8' })
      .trim()
      .replace(/^Python\s+/, '');
  } catch {
    return undefined;
  }
}

const PAGE = 4096;

/** Resident memory of one process in bytes (0 when it is gone). */
export function rssBytes(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]) * PAGE;
  } catch {
    return 0;
  }
}

/** `pid` and all its descendants, from the ppid field of every /proc/<pid>/stat. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // The command may contain spaces and parentheses: fields start after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(name));
      children.set(ppid, list);
    } catch {
      // exited while we looked
    }
  }
  const out: number[] = [];
  const todo = [root];
  while (todo.length) {
    const pid = todo.pop()!;
    out.push(pid);
    todo.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** One reading of a process tree: summed RSS and process count. */
export interface TreeSample {
  readonly rssBytes: number;
  readonly processes: number;
}

/** Sums RSS over a process tree (shared pages are counted once per process, so this overstates). */
export function sampleTree(root = process.pid, filter: (pid: number) => boolean = () => true): TreeSample {
  const pids = processTree(root).filter(filter);
  return { rssBytes: pids.reduce((s, p) => s + rssBytes(p), 0), processes: pids.length };
}

/** Whether a process's command line contains `needle` (cached per pid). */
export function cmdlineMatcher(needle: string): (pid: number) => boolean {
  const cache = new Map<number, boolean>();
  return (pid) => {
    let hit = cache.get(pid);
    if (hit === undefined) {
      try {
        hit = readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(needle);
      } catch {
        return false;
      }
      cache.set(pid, hit);
    }
    return hit;
  };
}

/**
 * Samples the process tree every `intervalMs` and keeps the peaks, until
 * stopped; with `match`, also the peaks of the matching processes alone.
 */
export class PeakSampler {
  peakRssBytes = 0;
  peakProcesses = 0;
  peakMatchedRssBytes = 0;
  peakMatchedProcesses = 0;
  samples = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly root: number;
  private readonly intervalMs: number;
  private readonly match: ((pid: number) => boolean) | undefined;

  constructor(opts: { root?: number; intervalMs?: number; match?: (pid: number) => boolean } = {}) {
    this.root = opts.root ?? process.pid;
    this.intervalMs = opts.intervalMs ?? 500;
    this.match = opts.match;
  }

  /** Starts sampling (one sample at once). */
  start(): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
    return this;
  }

  /** Takes one sample now. */
  sample(): void {
    const pids = processTree(this.root);
    const rss = new Map(pids.map((p) => [p, rssBytes(p)]));
    const sum = (ps: number[]) => ps.reduce((n, p) => n + rss.get(p)!, 0);
    this.samples++;
    this.peakRssBytes = Math.max(this.peakRssBytes, sum(pids));
    this.peakProcesses = Math.max(this.peakProcesses, pids.length);
    if (this.match) {
      const matched = pids.filter(this.match);
      this.peakMatchedRssBytes = Math.max(this.peakMatchedRssBytes, sum(matched));
      this.peakMatchedProcesses = Math.max(this.peakMatchedProcesses, matched.length);
    }
  }

  /** Stops sampling after a last sample. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.sample();
  }
}
