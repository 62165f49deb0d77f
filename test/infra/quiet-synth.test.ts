// `cdk synth --quiet` prints the product's own lines only: the feature flags CDK would call "not configured" are
// pinned at the values the app has always synthesized with (so the templates stay the same: a deployed fleet is a
// contract), and esbuild's bundle lines are off unless -c eks-secret-sync:bundling-logs=true asks for them.
// Measured: `npx cdk synth --quiet` printed 36 lines before (bundler output and "85 feature flags are not
// configured"), none after (2026-12-03); the last test runs it and counts.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { FLAGS } from 'aws-cdk-lib/cx-api';
import { describe, expect, it } from 'vitest';
import { pinnedFeatureFlags } from '../../infra/app.ts';
import { loadMappings } from '../../infra/model/config.ts';
import { BUNDLING_LOGS_CONTEXT, bundlingLogs, REPO_ROOT } from '../../infra/constructs/lambda-defaults.ts';
import { EXAMPLE_FILE, synthTemplates } from '../support/infra.ts';

describe('the quiet synth', () => {
  it('pins every flag whose default is not the recommended value, at its default', () => {
    const pinned = pinnedFeatureFlags();
    const attention = Object.entries(FLAGS).filter(
      ([name, f]) => pinned[name] === undefined && (f.unconfiguredBehavesLike?.v2 ?? false) !== f.recommendedValue,
    );
    expect(attention).toStrictEqual([]);
    expect(Object.keys(pinned).length).toBeGreaterThan(0);
    for (const [name, value] of Object.entries(pinned)) {
      expect(value, name).toBe(FLAGS[name]!.unconfiguredBehavesLike?.v2 ?? false);
    }
  });

  it('synthesizes the same templates with the flags pinned as without them', { timeout: 300_000 }, () => {
    // Both bundled synths through the synth cache (test/support/synth-cache.ts); without the pins it is the synth
    // every template test reads.
    const config = loadMappings(EXAMPLE_FILE);
    expect(synthTemplates(config, pinnedFeatureFlags())).toStrictEqual(synthTemplates(config, {}));
  });

  it.each([
    [{}, false],
    [{ [BUNDLING_LOGS_CONTEXT]: 'true' }, true],
    [{ [BUNDLING_LOGS_CONTEXT]: true }, true],
  ])('turns the bundling lines on only when asked (context %j)', (context, on) => {
    expect(bundlingLogs(new App({ context }))).toBe(on);
  });

  /**
   * What `cdk synth --quiet` prints (stdout and stderr) with these extra arguments, run as a user runs it;
   * `--no-notices`: CDK's notices are news fetched online about the CDK, not lines of this product.
   */
  function quietSynth(extra: readonly string[]): string {
    const outdir = mkdtempSync(join(tmpdir(), 'eks-secret-sync-quiet-'));
    try {
      const cdk = join(REPO_ROOT, 'node_modules/.bin/cdk');
      const r = spawnSync(cdk, ['synth', '--quiet', '--no-notices', '-o', outdir, ...extra], {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        timeout: 280_000,
        env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH}` },
      });
      expect(r.status, r.stderr).toBe(0);
      return r.stdout + r.stderr;
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  }

  it('prints nothing on npx cdk synth --quiet', { timeout: 300_000 }, () => {
    expect(quietSynth([])).toBe('');
  });

  it('prints the bundling lines when asked, so the test above sees the output (positive control)', {
    timeout: 300_000,
  }, () => {
    expect(quietSynth(['-c', `${BUNDLING_LOGS_CONTEXT}=true`])).toMatch(/^Bundling asset /m);
  });
});
