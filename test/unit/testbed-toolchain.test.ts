// A missing toolchain fails at once with the command that installs it.
import { spawnSync } from 'node:child_process';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MissingToolError, requireTool } from '../../testbed/toolchain.ts';

describe('requireTool', () => {
  it('throws MissingToolError naming the install command when the tool is not on PATH', () => {
    expect(() => requireTool('eks-secret-sync-no-such-tool', ['version'], 'apt-get install -y no-such-tool')).toThrow(
      MissingToolError,
    );
    expect(() => requireTool('eks-secret-sync-no-such-tool', ['version'], 'apt-get install -y no-such-tool')).toThrow(
      'eks-secret-sync-no-such-tool is not on PATH; install it with: apt-get install -y no-such-tool',
    );
  });

  it('returns the output of a tool that is there', () => {
    expect(requireTool(process.execPath, ['-p', '1+1'], 'n/a')).toBe('2');
  });
});

describe('npm run testbed without Go', () => {
  it('exits 1 at once and says how to install Go', () => {
    const r = spawnSync(process.execPath, ['testbed/cli.ts'], {
      encoding: 'utf8',
      env: { PATH: dirname(process.execPath), HOME: process.env.HOME, EKS_SECRET_SYNC_CACHE: '/nonexistent-cache' },
      timeout: 60_000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('go is not on PATH; install it with: apt-get update && apt-get install -y golang-go');
  });
});
