/**
 * The CDK app: `npx cdk synth|deploy [-c mappings=<path>]`. A thin wrapper
 * over the EksSecretSync construct (the one a CDK user imports): it loads and
 * validates the mappings file, builds the one stack holding the construct
 * with the file's mappings and options (infra/stack.ts), and checks it with
 * cdk-nag's AwsSolutions pack. Synth needs no AWS credentials, network or Docker.
 */
import { resolve } from 'node:path';
import { App, Validations, type AppProps } from 'aws-cdk-lib';
import nag from 'cdk-nag';
import { loadMappings, MappingsError, stackRegion, type SyncConfig } from './config.ts';
import { REPO_ROOT } from './lambda-defaults.ts';
import { EksSecretSyncStack } from './stack.ts';

/** The embedded default of the `mappings` context value. */
export const DEFAULT_MAPPINGS_FILE = 'mappings.example.yaml';

/** What {@link createApp} built. */
export interface SyncApp {
  readonly app: App;
  readonly stack: EksSecretSyncStack;
}

/**
 * Builds the app for a validated config: one stack, deployed to the region of
 * the secrets (their events arrive only there) in the account of the
 * credentials used at deploy time, with AwsSolutionsChecks as a validation
 * plugin (findings fail the synth).
 *
 * @param props passed to `App` (tests set `outdir`).
 */
export function createApp(config: SyncConfig, props: AppProps = {}): SyncApp {
  return addStack(new App(props), config);
}

function addStack(app: App, config: SyncConfig): SyncApp {
  const stack = new EksSecretSyncStack(app, config.stack.name, {
    config,
    stackName: config.stack.name,
    env: { region: stackRegion(config) },
  });
  Validations.of(app).addPlugins(new nag.AwsSolutionsChecks(app));
  return { app, stack };
}

/**
 * The path of the mappings file: the `mappings` context value (cdk.json sets
 * the default, `-c mappings=<path>` overrides it), relative to the current
 * directory, else to the repository.
 */
export function mappingsPath(app: App): string {
  const value: unknown = app.node.tryGetContext('mappings');
  return typeof value === 'string' && value !== '' ? resolve(value) : resolve(REPO_ROOT, DEFAULT_MAPPINGS_FILE);
}

function main(): void {
  // One App only: under the CDK CLI every App synthesizes itself at exit.
  const app = new App();
  let config: SyncConfig;
  try {
    config = loadMappings(mappingsPath(app));
  } catch (e) {
    if (!(e instanceof MappingsError)) throw e;
    process.stderr.write(`${e.message}\n`);
    process.exit(1);
  }
  addStack(app, config).app.synth();
}

if (import.meta.main) main();
