import { spawn, spawnSync } from 'node:child_process';

/** Raised when a tool the test bed needs is missing; the message says how to install it. */
export class MissingToolError extends Error {
  override name = 'MissingToolError';
}

/**
 * Runs `cmd args` and returns its stdout, or throws MissingToolError with the
 * install command when the tool is not on PATH.
 */
export function requireTool(cmd: string, args: string[], install: string, cwd?: string): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd, maxBuffer: 64 * 1024 * 1024 });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new MissingToolError(`${cmd} is not on PATH; install it with: ${install}`);
  }
  if (r.status !== 0) {
    throw new MissingToolError(`\`${cmd} ${args.join(' ')}\` failed (${r.stderr.trim()}); install it with: ${install}`);
  }
  return r.stdout.trim();
}

/**
 * Runs a command to completion, streaming each stderr/stdout line to
 * `onLine`; rejects with the last lines of output when it fails.
 */
export function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; onLine?: (line: string) => void } = {},
): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    const feed = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line) continue;
        tail.push(line);
        if (tail.length > 40) tail.shift();
        opts.onLine?.(line);
      }
    };
    child.stdout.on('data', feed);
    child.stderr.on('data', feed);
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolvePromise();
      else reject(new Error(`\`${cmd} ${args.join(' ')}\` exited with ${code}:\n${tail.join('\n')}`));
    });
  });
}
