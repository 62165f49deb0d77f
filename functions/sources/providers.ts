/**
 * The source providers by kind, deploy side (pure; the stack reads it): one entry per folder of functions/sources/.
 * The run-time side is functions/sources/open.ts.
 */
import type { SourceKind, SourceProvider } from '../domain/source.ts';
import { secretsManagerProvider } from './secrets-manager/provider.ts';

/** Every provider, by the kind a mapping's `source` names. */
export const SOURCE_PROVIDERS: Readonly<Record<SourceKind, SourceProvider>> = {
  secretsManager: secretsManagerProvider,
};

/** The provider of `kind`. */
export function sourceProvider(kind: SourceKind): SourceProvider {
  return SOURCE_PROVIDERS[kind];
}
