/**
 * The source providers by kind, run-time side: the {@link SecretSource} of a kind over its SDK client, for the
 * fetch function and the CLI's in-process sync. The deploy side is functions/sources/providers.ts.
 */
import { SecretsManagerClient, type SecretsManagerClientConfig } from '@aws-sdk/client-secrets-manager';
import { noDeadline, type TimeLeft } from '../domain/ports.ts';
import type { SecretSource, SourceKind } from '../domain/source.ts';
import { secretsManagerSource } from './secrets-manager/client.ts';

/** An open source and how to release its client. */
export interface OpenSource {
  readonly source: SecretSource;
  /** Releases the client's sockets (a long-lived Lambda never calls it). */
  close(): void;
}

/** The AWS SDK client configuration a provider's client is made with (region, credentials, endpoint, timeouts). */
export type SourceClientConfig = SecretsManagerClientConfig;

/**
 * Opens the source of `kind` with an SDK client made from `config`; each call ends within `timeLeft`.
 */
export function openSource(kind: SourceKind, config: SourceClientConfig, timeLeft: TimeLeft = noDeadline): OpenSource {
  switch (kind) {
    case 'secretsManager': {
      const client = new SecretsManagerClient(config);
      return { source: secretsManagerSource(client, timeLeft), close: () => client.destroy() };
    }
  }
}
