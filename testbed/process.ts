import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** A server process of the test bed, its output going to `<logDir>/<name>.log`. */
export interface ServerProcess {
  readonly name: string;
  readonly logFile: string;
  readonly child: ChildProcess;
  /** Set once the process has exited. */
  exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** Starts `cmd args` detached from our stdio, logging to a file. */
export function startServer(
  name: string,
  cmd: string,
  args: string[],
  logDir: string,
  env?: NodeJS.ProcessEnv,
): ServerProcess {
  const logFile = join(logDir, `${name}.log`);
  const out = createWriteStream(logFile);
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
  child.stdout?.pipe(out, { end: false });
  child.stderr?.pipe(out, { end: false });
  const proc: ServerProcess = {
    name,
    logFile,
    child,
    exited: undefined,
    stop: (graceMs = 5_000) =>
      new Promise<void>((resolveStop) => {
        if (proc.exited) return resolveStop();
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        child.once('exit', () => {
          clearTimeout(timer);
          resolveStop();
        });
        child.kill('SIGTERM');
      }),
  };
  child.on('exit', (code, signal) => {
    proc.exited = { code, signal };
    out.end();
  });
  return proc;
}

/**
 * Polls `probe` until it resolves true, failing early with the log's tail if
 * the process exits, and after `timeoutMs` otherwise.
 */
export async function waitUntilReady(
  proc: ServerProcess,
  probe: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.exited) {
      throw new Error(
        `${proc.name} exited (${JSON.stringify(proc.exited)}) before it was ready:\n${logTail(proc.logFile)}`,
      );
    }
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) {
      throw new Error(`${proc.name} was not ready after ${timeoutMs / 1000}s:\n${logTail(proc.logFile)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Last lines of a log file, for error messages. */
export function logTail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolvePort(addr.port) : reject(new Error('no port'))));
    });
  });
}
