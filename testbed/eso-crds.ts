/**
 * External Secrets Operator's own CRDs for the migration proof (docs/migrating-from-eso.md): fetched on first
 * use from the Go module proxy (`go mod download`, which keeps the module's files, CRD YAML included, in the Go
 * module cache), never committed. Only the ExternalSecret CRD is applied: the proof needs ExternalSecrets to own
 * Secrets, not ESO's controller (which is not run: the Secret is written as it would write it).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { requireTool } from './toolchain.ts';

/** The External Secrets Operator release whose CRDs the proof applies. */
export const ESO_MODULE = 'github.com/external-secrets/external-secrets';
export const ESO_VERSION = 'v1.3.2';

/** The API version of ExternalSecret in that release (served and stored). */
export const EXTERNAL_SECRET_API_VERSION = 'external-secrets.io/v1';

const GO_INSTALL = 'https://go.dev/doc/install (the test bed builds its kube-apiserver with Go already)';

/**
 * The ExternalSecret CustomResourceDefinition of {@link ESO_VERSION}, as a parsed object. Downloads the module
 * into the Go module cache when it is not there (a few MB, seconds); later calls read the cache.
 */
export function externalSecretCrd(): Record<string, unknown> {
  // Outside any module, `go mod download` of an explicit version needs no go.mod; a scratch dir keeps it so.
  const scratch = mkdtempSync(join(tmpdir(), 'eso-crds-'));
  try {
    const out = requireTool('go', ['mod', 'download', '-json', `${ESO_MODULE}@${ESO_VERSION}`], GO_INSTALL, scratch);
    const { Dir, Error: failed } = JSON.parse(out) as { Dir?: string; Error?: string };
    if (!Dir) throw new Error(`go mod download ${ESO_MODULE}@${ESO_VERSION} gave no directory: ${failed ?? out}`);
    const file = join(Dir, 'config', 'crds', 'bases', 'external-secrets.io_externalsecrets.yaml');
    return parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
