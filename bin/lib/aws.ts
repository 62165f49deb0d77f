/**
 * AWS access for the CLI: the caller's credentials from the SDK default chain,
 * one region per mapping (the secret ARN's), and the clients built from them.
 * Clients use the SDK's standard configuration, so AWS_ENDPOINT_URL and
 * AWS_ENDPOINT_URL_<SERVICE> work (that is how the tests reach moto).
 *
 * Some clients the CLI needs are not dependencies yet; they are loaded by name
 * with {@link optionalSdk}, and a check that needs a missing one says so.
 */
import type { AwsCredentials } from '../../functions/adapters/eks-token.ts';
import type { Mapping } from '../../infra/model/config.ts';
import { parseSecretArn } from '../../infra/model/secret-arn.ts';
import { oneLine } from './command.ts';

/**
 * The region a mapping's AWS calls go to: the secret ARN's, which is the stack's
 * (infra/model/config.ts requires the cluster to be there too).
 */
export function regionOf(mapping: Pick<Mapping, 'secretArn'>): string {
  return parseSecretArn(mapping.secretArn)!.region;
}

/**
 * Resolves credentials from the SDK default chain. Imported lazily so that `--help`
 * and usage errors stay instant.
 *
 * @throws Error with a one-line message saying how to provide credentials.
 */
export async function loadCredentials(region: string): Promise<AwsCredentials> {
  const { fromNodeProviderChain } = await import('@aws-sdk/credential-providers');
  try {
    // The region is for the STS client of role-assuming profiles and web identity.
    const resolved = await fromNodeProviderChain({ clientConfig: { region } })();
    // Keep only what signing needs: the SDK object carries provenance fields too.
    return {
      accessKeyId: resolved.accessKeyId,
      secretAccessKey: resolved.secretAccessKey,
      ...(resolved.sessionToken ? { sessionToken: resolved.sessionToken } : {}),
    };
  } catch (error) {
    // SDK provider messages describe the lookup, never a credential value.
    const reason = oneLine(error instanceof Error ? error.message : String(error));
    throw new Error(
      `could not load AWS credentials (${reason}); set AWS_PROFILE, run 'aws sso login', or export AWS_ACCESS_KEY_ID ` +
        `and AWS_SECRET_ACCESS_KEY`,
      { cause: error },
    );
  }
}

/** The caller's AWS session in one region: credentials resolved once, on first use. */
export class AwsSession {
  readonly region: string;
  private creds: Promise<AwsCredentials> | undefined;

  constructor(region: string) {
    this.region = region;
  }

  /** The caller's credentials. @throws Error saying how to provide them. */
  credentials(): Promise<AwsCredentials> {
    this.creds ??= loadCredentials(this.region);
    return this.creds;
  }

  /** Client configuration for this region with the caller's credentials. */
  async config(): Promise<{ region: string; credentials: AwsCredentials }> {
    return { region: this.region, credentials: await this.credentials() };
  }
}

/** The optional SDK packages, by what the CLI uses them for. */
export const OPTIONAL_SDK = {
  eventbridge: '@aws-sdk/client-eventbridge',
  logs: '@aws-sdk/client-cloudwatch-logs',
  cloudformation: '@aws-sdk/client-cloudformation',
} as const;

/** A package of {@link OPTIONAL_SDK} is not installed. */
export class MissingPackageError extends Error {
  override name = 'MissingPackageError';
  constructor(pkg: string) {
    super(`the package ${pkg} is not installed (npm install ${pkg})`);
  }
}

/** A client class and its commands, loosely typed: the package may be absent at type-check time. */
// biome-ignore lint/suspicious/noExplicitAny: SDK command classes loaded by name; each call site narrows them.
export type SdkModule = Record<string, new (input: any) => any>;

/**
 * Loads an optional SDK package by name.
 *
 * @throws MissingPackageError when it is not installed.
 */
export async function optionalSdk(pkg: (typeof OPTIONAL_SDK)[keyof typeof OPTIONAL_SDK]): Promise<SdkModule> {
  try {
    // A variable specifier: the type checker must not require the package.
    const name: string = pkg;
    return (await import(name)) as SdkModule;
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_MODULE_NOT_FOUND') throw new MissingPackageError(pkg);
    throw e;
  }
}

/** Name, HTTP status and message of an SDK error, on one line, for "could not check" notes. */
export function sdkErrorText(e: unknown): string {
  const err = e as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  if (err instanceof MissingPackageError) return err.message;
  const status = err.$metadata?.httpStatusCode;
  // Our own errors (no AWS metadata) carry a complete sentence.
  if (status === undefined && (err.name === 'Error' || err.name === undefined))
    return oneLine(err.message ?? String(e));
  // A body the SDK cannot parse (an HTML 404 page) means the endpoint does not implement the API.
  if (err.name === 'SyntaxError' && status !== undefined) {
    return `the endpoint answered HTTP ${status} with a body that is not an AWS answer: it does not implement this API`;
  }
  return oneLine(`${err.name ?? 'Error'}${status ? ` (HTTP ${status})` : ''}: ${err.message ?? String(e)}`);
}

/** The AWS error name, or undefined for other errors. */
export function errorName(e: unknown): string | undefined {
  return (e as { name?: string })?.name;
}
