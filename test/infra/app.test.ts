import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { App, Token } from 'aws-cdk-lib';
import { afterAll, describe, expect, it } from 'vitest';
import { createApp, mappingsPath } from '../../infra/app.ts';
import { loadMappings } from '../../infra/model/config.ts';
import { REPO_ROOT } from '../../infra/constructs/lambda-defaults.ts';
import { EXAMPLE_FILE } from '../support/infra.ts';

const work = mkdtempSync(join(tmpdir(), 'eks-secret-sync-app-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/**
 * Runs the app the way `cdk synth` does: plain Node 24 (type stripping), context and outdir from the
 * environment. Bundling is skipped (`aws:cdk:bundling-stacks` empty, as `cdk synth --exclusively` of
 * another stack would): the other tests cover the bundles.
 */
function runApp(mappings: string, outdir: string) {
  return spawnSync(process.execPath, ['infra/app.ts'], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH,
      CDK_OUTDIR: outdir,
      CDK_CONTEXT_JSON: JSON.stringify({ mappings, 'aws:cdk:bundling-stacks': [] }),
    },
    encoding: 'utf8',
  });
}

describe('cdk.json', () => {
  it('runs infra/app.ts with Node and defaults the mappings context to the example file', () => {
    const cdk = JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8'));
    expect(cdk.app).toBe('node infra/app.ts');
    expect(cdk.context.mappings).toBe('mappings.example.yaml');
  });
});

describe('the app', () => {
  it('synthesizes the one stack with plain Node from the file the context names', () => {
    const outdir = join(work, 'ok');
    const run = runApp(EXAMPLE_FILE, outdir);
    expect(run.status).toBe(0);
    const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8'));
    expect(manifest.artifacts.EksSecretSync).toMatchObject({
      type: 'aws:cloudformation:stack',
      environment: 'aws://unknown-account/us-east-1',
    });
  });

  it('aborts with the mappings error and exit code 1 when the file is invalid', () => {
    const bad = join(work, 'bad.yaml');
    writeFileSync(bad, 'mappings:\n  - id: Bad\n');
    const run = runApp(bad, join(work, 'bad'));
    expect(run.status).toBe(1);
    expect(run.stderr).toBe(
      `invalid mappings file ${bad}:\n` +
        '  - mappings[0] (id "Bad"): id: "Bad" is not a valid id; expected lower-case letters, digits and \'-\', ' +
        'starting and ending with a letter or digit (like a DNS label)\n' +
        '  - mappings[0] (id "Bad"): secretArn: is missing; expected a string\n' +
        '  - mappings[0] (id "Bad"): cluster: is missing; expected a mapping of fields (or list targets)\n' +
        '  - mappings[0] (id "Bad"): namespace: is missing; expected a string (or list targets)\n' +
        '  - mappings[0] (id "Bad"): secretName: is missing; expected a string (or list targets)\n',
    );
  });

  it('deploys to the region of the secrets and leaves the account to the deploy credentials', () => {
    const { stack } = createApp(loadMappings(EXAMPLE_FILE), { context: { 'aws:cdk:bundling-stacks': [] } });
    expect(stack.region).toBe('us-east-1');
    expect(Token.isUnresolved(stack.account)).toBe(true);
    expect(stack.stackName).toBe('EksSecretSync');
  });
});

describe('mappingsPath', () => {
  it('resolves the context value against the current directory', () => {
    expect(mappingsPath(new App({ context: { mappings: 'teams/a.yaml' } }))).toBe(resolve('teams/a.yaml'));
  });

  it('falls back to the example file in the repository', () => {
    expect(mappingsPath(new App())).toBe(EXAMPLE_FILE);
  });
});
