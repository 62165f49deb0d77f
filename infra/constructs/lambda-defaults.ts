import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, type CfnResource } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { appNameOf } from './app-name.ts';
import { rolePath } from '../model/resource-names.ts';
import { ApplicationLogLevel, Architecture, LoggingFormat, Runtime } from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { PRODUCT_NAME } from '../../functions/domain/product.ts';
import { CORE_STEP_KINDS, STEP_KINDS, type CoreStepKind, type StepKind } from '../../functions/domain/sync-steps.ts';
import type { FunctionEnvironment, FunctionKind } from '../../functions/runtime/env-contract.ts';

/**
 * The repository root, or the installed package's folder (this file is infra/constructs/lambda-defaults.ts, or,
 * compiled, dist/infra/constructs/lambda-defaults.js: the root is then three levels up, where package.json,
 * functions/ and statemachine/ are).
 */
export const REPO_ROOT = packageRoot(dirname(fileURLToPath(import.meta.url)));

function packageRoot(here: string): string {
  const up = join(here, '..', '..');
  return basename(up) === 'dist' && existsSync(join(up, '..', 'package.json')) ? join(up, '..') : up;
}

/**
 * The lock file esbuild's bundling starts from: the repository's; an installed package has none (npm never packs
 * it).
 */
const OWN_LOCK_FILE = existsSync(join(REPO_ROOT, 'package-lock.json'))
  ? join(REPO_ROOT, 'package-lock.json')
  : undefined;

/**
 * The steps of a sync, in the step table's order (functions/domain/sync-steps.ts); each is
 * `functions/<name>/handler.ts`. Every mapping has the {@link CORE_FUNCTION_NAMES}; an optional step
 * (`restart-workloads`) exists only for a mapping that needs it.
 */
export const FUNCTION_NAMES: readonly StepKind[] = STEP_KINDS;

/** One of {@link FUNCTION_NAMES}. */
export type FunctionName = StepKind;

/** The steps every mapping has. */
export const CORE_FUNCTION_NAMES: readonly CoreStepKind[] = CORE_STEP_KINDS;

/** One of {@link CORE_FUNCTION_NAMES}. */
export type CoreFunctionName = CoreStepKind;

/**
 * Functions of the stack that belong to no mapping: `redrive-sync` turns
 * redriven dead-letter messages into new executions (infra/constructs/redrive.ts); `sweep-secrets` starts the
 * syncs whose events were lost (infra/constructs/sweep.ts).
 */
export const STACK_FUNCTION_NAMES = ['redrive-sync', 'seal-grants', 'sweep-secrets'] as const;

/** One of {@link STACK_FUNCTION_NAMES}. */
export type StackFunctionName = (typeof STACK_FUNCTION_NAMES)[number];

/** Every function folder the app bundles: the steps, then the stack's own functions. */
export const BUNDLED_FUNCTION_NAMES: readonly BundledFunctionName[] = [...FUNCTION_NAMES, ...STACK_FUNCTION_NAMES];

/** One of {@link BUNDLED_FUNCTION_NAMES}. */
export type BundledFunctionName = FunctionName | StackFunctionName;

// Every bundled function has an environment contract, and every contract a function folder.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const contractCoversFunctions: Same<BundledFunctionName, FunctionKind> = true;
void contractCoversFunctions;

/** CloudFormation metadata key on each function resource naming its step (how tests find the bundles). */
export const FUNCTION_METADATA_KEY = 'eks-secret-sync:function';

/** Service name in every log line (Powertools Logger). */
export const SERVICE_NAME = PRODUCT_NAME;

/** Props of {@link SyncFunction} of kind `K`. */
export interface SyncFunctionProps<K extends BundledFunctionName = BundledFunctionName> {
  /** Which step (or stack function): the entry is `functions/<name>/handler.ts`, export `handler`. */
  readonly name: K;
  /**
   * Environment the handler reads at init, by the names of its contract (functions/runtime/env-contract.ts);
   * never secrets: the values are in the template. An optional variable left `undefined` is not set.
   */
  readonly environment: FunctionEnvironment<K>;
  /**
   * Retention of the function's log group.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * The role's name (a role another account's access entry names before any deploy).
   * @default a name CloudFormation generates
   */
  readonly roleName?: string;
  /**
   * An execution role made elsewhere (the mapping's Kubernetes identity, which its Kubernetes steps share): the
   * function's log group grants it write access, and `roleName` is not used.
   * @default a role of the function's own
   */
  readonly role?: Role;
  /**
   * Description of the function and its role.
   * @default `eks-secret-sync <name>`
   */
  readonly description?: string;
  /**
   * Memory in MiB.
   * @default 256
   */
  readonly memorySize?: number;
  /**
   * Timeout; the state machine's TimeoutSeconds (30) is the outer bound.
   * @default Duration.seconds(30)
   */
  readonly timeout?: Duration;
}

/**
 * One step of the sync as a Lambda function with the project's defaults:
 * nodejs24.x on arm64, JSON logs at INFO to its own log group with retention,
 * the Powertools service name, and its own role holding nothing but write
 * access to that log group (no AWSLambdaBasicExecutionRole); callers add
 * exactly what the step needs to {@link SyncFunction.role}.
 *
 * The code is bundled locally by esbuild (from devDependencies; never Docker)
 * into one minified ESM file, `index.mjs`, that includes the AWS SDK v3
 * clients: the runtime's SDK is not used, so tests run exactly what ships.
 * No `createRequire` banner: no dependency calls `require()` at run time
 * (test/infra/bundles.test.ts fails, with this hint, the day one does).
 */
export class SyncFunction<K extends BundledFunctionName = BundledFunctionName> extends Construct {
  /** Which function this is (`functions/<kind>/handler.ts`). */
  readonly kind: K;
  /** The Lambda function. */
  readonly function: NodejsFunction;
  /** Its execution role. */
  readonly role: Role;
  /** Its log group. */
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: SyncFunctionProps<K>) {
    super(scope, id);
    this.kind = props.name;
    const description = props.description ?? `eks-secret-sync ${props.name}`;
    this.logGroup = new LogGroup(this, 'Logs', { retention: props.logRetention ?? RetentionDays.ONE_MONTH });
    this.role = props.role ?? lambdaRole(this, 'Role', description, props.roleName);
    this.logGroup.grantWrite(this.role);
    this.function = new NodejsFunction(this, 'Function', {
      entry: join(REPO_ROOT, 'functions', props.name, 'handler.ts'),
      handler: 'handler',
      // Installed, the package has no lock file: NodejsFunction then takes the app's (from the current directory)
      // and its folder as the project root, which holds node_modules/@eks-secret-sync/cdk/functions.
      ...(OWN_LOCK_FILE !== undefined && { projectRoot: REPO_ROOT, depsLockFilePath: OWN_LOCK_FILE }),
      description,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(30),
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: LoggingFormat.JSON,
      applicationLogLevelV2: ApplicationLogLevel.INFO,
      environment: { POWERTOOLS_SERVICE_NAME: SERVICE_NAME, ...definedOnly(props.environment) },
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        target: 'node24',
        minify: true,
        sourceMap: false,
        mainFields: ['module', 'main'],
        externalModules: [],
        // esbuild's per-bundle size lines only when asked (-c eks-secret-sync:bundling-logs=true); errors always.
        logLevel: bundlingLogs(this) ? LogLevel.INFO : LogLevel.ERROR,
      },
    });
    (this.function.node.defaultChild as CfnResource).addMetadata(FUNCTION_METADATA_KEY, props.name);
  }
}

/**
 * A Lambda execution role under the app's role path: the seal key's policy admits the app's roles by that path
 * (infra/constructs/seal-key.ts).
 */
export function lambdaRole(scope: Construct, id: string, description: string, roleName?: string): Role {
  return new Role(scope, id, {
    assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
    description,
    path: rolePath(appNameOf(scope)),
    roleName,
  });
}

/** The context key that turns esbuild's and CDK's bundling lines back on (`cdk synth -c <key>=true`). */
export const BUNDLING_LOGS_CONTEXT = 'eks-secret-sync:bundling-logs';

/** Whether the bundling lines were asked for. */
export function bundlingLogs(scope: Construct): boolean {
  const value: unknown = scope.node.tryGetContext(BUNDLING_LOGS_CONTEXT);
  return value === true || value === 'true';
}

/** The entries whose value is set: an optional variable left `undefined` keeps the function's default. */
function definedOnly(environment: Readonly<Record<string, string | undefined>>): Record<string, string> {
  return Object.fromEntries(Object.entries(environment).filter((e): e is [string, string] => e[1] !== undefined));
}
