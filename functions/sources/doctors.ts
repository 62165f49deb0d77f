/**
 * The source providers by kind, diagnosis side: the {@link SourceDoctor} of a kind over its SDK client, for the
 * CLI's `doctor` with the caller's credentials. Apart from functions/sources/open.ts so that no function bundles it.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SourceDoctor } from '../domain/source.ts';
import type { SourceClientConfig } from './open.ts';
import type { SourceKind } from './providers.ts';
import { secretsManagerDoctor } from './secrets-manager/doctor.ts';

/** Any AWS SDK v3 client, as far as a caller may add a middleware to it (doctor records the Date headers). */
export interface InstrumentableClient {
  // biome-ignore lint/suspicious/noExplicitAny: any SDK client's middleware stack; its types differ per client.
  readonly middlewareStack: { add(middleware: any, options: any): void };
}

/** An open doctor and how to release its client. */
export interface OpenSourceDoctor {
  readonly doctor: SourceDoctor;
  /** Releases the client's sockets. */
  close(): void;
}

/** Every provider's diagnosis side, by kind (the type check fails while a kind has none). */
const DOCTORS: {
  readonly [K in SourceKind]: (
    config: SourceClientConfig,
    instrument: (c: InstrumentableClient) => void,
  ) => OpenSourceDoctor;
} = {
  secretsManager: (config, instrument) => {
    const client = new SecretsManagerClient(config);
    instrument(client);
    return { doctor: secretsManagerDoctor(client), close: () => client.destroy() };
  },
};

/**
 * Opens the doctor of `kind` with an SDK client made from `config`; `instrument` sees the client first.
 */
export function openSourceDoctor(
  kind: SourceKind,
  config: SourceClientConfig,
  instrument: (client: InstrumentableClient) => void = () => {},
): OpenSourceDoctor {
  return DOCTORS[kind](config, instrument);
}
