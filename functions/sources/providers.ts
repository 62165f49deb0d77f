/**
 * The source providers by kind, deploy side (pure; the stack and the config read it): one entry per folder of
 * functions/sources/. The kinds a mapping's `source` may name are this registry's keys. The run-time side is
 * functions/sources/open.ts (what the fetch function bundles), the diagnosis side functions/sources/doctors.ts.
 */
import { DEFAULT_SOURCE_KIND, type SourceProvider } from '../domain/source.ts';
import { secretsManagerProvider } from './secrets-manager/provider.ts';

/** Every provider, by the kind a mapping's `source` names. */
export const SOURCE_PROVIDERS = {
  secretsManager: secretsManagerProvider,
} as const satisfies Readonly<Record<string, SourceProvider>>;

/** A kind a mapping's `source` may name. */
export type SourceKind = keyof typeof SOURCE_PROVIDERS;

/** The kinds, in registry order. */
export const SOURCE_KINDS = Object.keys(SOURCE_PROVIDERS) as [SourceKind, ...SourceKind[]];

// The default names a provider of this registry.
const defaultKind: SourceKind = DEFAULT_SOURCE_KIND;
void defaultKind;

/** The provider of `kind`. */
export function sourceProvider(kind: SourceKind): SourceProvider {
  return SOURCE_PROVIDERS[kind];
}
