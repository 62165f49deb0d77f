/**
 * The source providers by kind, run-time side: the {@link SecretSource} of a kind over its SDK client, for the
 * fetch function and the CLI's in-process sync. The deploy side is functions/sources/providers.ts.
 */
import { SecretsManagerClient, type SecretsManagerClientConfig } from '@aws-sdk/client-secrets-manager';
import { ConfigError } from '../domain/errors.ts';
import { noDeadline, type TimeLeft } from '../domain/ports.ts';
import type { SecretSource } from '../domain/source.ts';
import type { SourceKind } from './providers.ts';
import { secretsManagerSource } from './secrets-manager/client.ts';

/** An open source and how to release its client. */
export interface OpenSource {
  readonly source: SecretSource;
  /** Releases the client's sockets (a long-lived Lambda never calls it). */
  close(): void;
}

/** The AWS SDK client configuration a provider's client is made with (region, credentials, endpoint, timeouts). */
export type SourceClientConfig = SecretsManagerClientConfig;

/** Every provider's run-time side, by kind: the registry covers the deploy side's kinds (the type check fails else). */
const OPENERS: { readonly [K in SourceKind]: (config: SourceClientConfig, timeLeft: TimeLeft) => OpenSource } = {
  secretsManager: (config, timeLeft) => {
    const client = new SecretsManagerClient(config);
    return { source: secretsManagerSource(client, timeLeft), close: () => client.destroy() };
  },
};

/** The kinds this side can open (the fetch function checks SOURCE_KIND against them). */
export const OPEN_SOURCE_KINDS: readonly string[] = Object.keys(OPENERS);

/**
 * Opens the source of `kind` with an SDK client made from `config`; each call ends within `timeLeft`.
 *
 * @throws ConfigError when no provider has that kind.
 */
export function openSource(kind: string, config: SourceClientConfig, timeLeft: TimeLeft = noDeadline): OpenSource {
  if (!Object.hasOwn(OPENERS, kind)) {
    throw new ConfigError(`source ${JSON.stringify(kind)} is not one of ${Object.keys(OPENERS).join(', ')}`);
  }
  return OPENERS[kind as SourceKind](config, timeLeft);
}
