/**
 * The KMS grants on the seal key that let each step role use it for its own mapping's context only
 * (docs/decisions.md#seal-key-use-by-grants-not-by-role-path). Pure: the deploy-time custom resource
 * (functions/seal-grants) reads the grants a stack wants from its properties and reconciles the key's grants.
 */

/** The KMS operations a seal grant may give: sealing (a data key) and opening. */
export type SealGrantOperation = 'GenerateDataKey' | 'Decrypt';

/** Every operation a seal grant may carry (the key policy admits grants with these only). */
export const SEAL_GRANT_OPERATIONS: readonly SealGrantOperation[] = ['Decrypt', 'GenerateDataKey'];

/** The constraint type of every seal grant: the request's encryption context must equal the grant's exactly. */
export const SEAL_GRANT_CONSTRAINT = 'EncryptionContextEquals';

/** One grant a stack wants: who, what, for which context. */
export interface SealGrantSpec {
  /** The grant's name: unique per stack, stable across deploys (the mapping, the step, the purpose). */
  readonly name: string;
  /** The role's ARN (KMS binds the grant to the role's unique id when it is created). */
  readonly granteePrincipal: string;
  /** The operations, sorted. */
  readonly operations: readonly SealGrantOperation[];
  /** The exact encryption context: `{mappingId, purpose}`. */
  readonly encryptionContext: Readonly<Record<string, string>>;
}

/** A grant as KMS lists it (the fields this module reads). */
export interface ListedGrant {
  readonly grantId: string;
  readonly name?: string;
  readonly granteePrincipal?: string;
  readonly operations?: readonly string[];
  readonly encryptionContextEquals?: Readonly<Record<string, string>>;
}

/** What to do to the key's grants. */
export interface GrantChanges {
  /** Grants to create: wanted and not on the key with the same name, grantee, operations and context. */
  readonly create: readonly SealGrantSpec[];
  /** Grant ids to revoke: on the key under a name this stack manages (had or has), and not wanted as they are. */
  readonly revoke: readonly string[];
}

/** Characters KMS allows in a grant name (CreateGrant `Name`: `^[a-zA-Z0-9:/_-]+$`, up to 256). */
const NAME_PATTERN = /^[a-zA-Z0-9:/_-]{1,256}$/;

/**
 * The name of a seal grant: the stack's grants prefix, the mapping, the step and the purpose.
 *
 * @throws Error when a part holds a character KMS refuses in a grant name.
 */
export function sealGrantName(stackPrefix: string, mappingId: string, step: string, purpose: string): string {
  const name = `${stackPrefix}/${mappingId}/${step}/${purpose}`;
  if (!NAME_PATTERN.test(name)) throw new Error(`seal grant name ${name} holds a character KMS refuses`);
  return name;
}

/** Whether a listed grant is exactly the wanted one. */
export function sameGrant(listed: ListedGrant, spec: SealGrantSpec): boolean {
  return (
    listed.name === spec.name &&
    listed.granteePrincipal === spec.granteePrincipal &&
    sameSet(listed.operations ?? [], spec.operations) &&
    sameRecord(listed.encryptionContextEquals ?? {}, spec.encryptionContext)
  );
}

/**
 * The changes that make the key's grants under the managed names exactly `wanted`.
 *
 * @param managedNames every name this stack ever wanted (its old and new properties): only grants with one of these
 *   names are revoked, so grants of other stacks and of people are left alone.
 * @param wanted the grants to have; empty when the resource is deleted.
 */
export function grantChanges(
  listed: readonly ListedGrant[],
  wanted: readonly SealGrantSpec[],
  managedNames: ReadonlySet<string>,
): GrantChanges {
  const create = wanted.filter((spec) => !listed.some((g) => sameGrant(g, spec)));
  const revoke = listed
    .filter((g) => g.name !== undefined && managedNames.has(g.name))
    .filter((g) => !wanted.some((spec) => sameGrant(g, spec)))
    .map((g) => g.grantId);
  return { create, revoke };
}

/**
 * The grants in a custom resource's properties (`Grants`), checked.
 *
 * @throws Error naming the grant and the field when a grant is malformed.
 */
export function parseSealGrants(value: unknown): SealGrantSpec[] {
  if (!Array.isArray(value)) throw new Error('Grants must be a list of seal grants');
  return value.map((g: unknown, i) => {
    const at = `Grants[${i}]`;
    if (typeof g !== 'object' || g === null) throw new Error(`${at} must be an object`);
    const { Name, GranteePrincipal, Operations, EncryptionContext } = g as Record<string, unknown>;
    if (typeof Name !== 'string' || !NAME_PATTERN.test(Name)) throw new Error(`${at}.Name must be a grant name`);
    if (typeof GranteePrincipal !== 'string' || !GranteePrincipal.startsWith('arn:'))
      throw new Error(`${at}.GranteePrincipal must be a role ARN`);
    if (!Array.isArray(Operations) || Operations.length === 0 || !Operations.every(isOperation))
      throw new Error(`${at}.Operations must list ${SEAL_GRANT_OPERATIONS.join(' and/or ')}`);
    if (!isStringRecord(EncryptionContext) || Object.keys(EncryptionContext).length === 0)
      throw new Error(`${at}.EncryptionContext must be a non-empty map of strings`);
    return {
      name: Name,
      granteePrincipal: GranteePrincipal,
      operations: [...Operations].sort(),
      encryptionContext: EncryptionContext,
    };
  });
}

function isOperation(x: unknown): x is SealGrantOperation {
  return typeof x === 'string' && (SEAL_GRANT_OPERATIONS as readonly string[]).includes(x);
}

function isStringRecord(x: unknown): x is Record<string, string> {
  return (
    typeof x === 'object' && x !== null && !Array.isArray(x) && Object.values(x).every((v) => typeof v === 'string')
  );
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().every((x, i) => x === [...b].sort()[i]);
}

function sameRecord(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k]);
}
