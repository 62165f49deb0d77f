/**
 * The source port: what a sync needs from wherever a secret lives, shaped by the sync and not by one vendor
 * (as External Secrets Operator's ProviderInterface and Powertools' BaseProvider are). A provider has two sides:
 * the {@link SourceProvider} description the stack reads (the event patterns that start a sync, the IAM its fetch
 * function needs; pure data, no SDK) and the {@link SecretSource} the fetch step reads through at run time. The
 * providers live in functions/sources/<provider>/ (one today: Secrets Manager); a mapping names its provider
 * with `source`. Types and constants only.
 */
import type { EventPatternJson, SecretEventRule } from './events.ts';

/**
 * The provider of a mapping that names none (every mapping before `source` existed). The kinds a mapping may name
 * are the keys of the registries of functions/sources/ (`SourceKind` there), not a list here.
 */
export const DEFAULT_SOURCE_KIND = 'secretsManager';

/** One version of the source's secret, as the fetch step needs it. */
export interface SourceVersion {
  readonly versionId: string;
  /** When the version was created (ISO 8601). */
  readonly createdDate: string;
  /**
   * Whether the version carried the followed label when it was read (Secrets Manager: AWSCURRENT, or the mapping's
   * `label`): the stale-version check orders versions by it.
   */
  readonly current: boolean;
  readonly secretString?: string;
  readonly secretBinary?: Uint8Array;
}

/** Whether the source's secret is being deleted (metadata only, never a value). */
export interface SourceDeletion {
  /** When the secret was deleted (ISO 8601); undefined when it is not being deleted. */
  readonly deletedDate?: string;
  /** The current version, when the source still names one. */
  readonly currentVersionId?: string;
}

/** The secret's current version and deletion, metadata only (what the CLI's `status` compares with the cluster). */
export interface SourceCurrent {
  /** The current version; undefined when the source names none. */
  readonly currentVersionId?: string;
  /** When the current version was created (ISO 8601). */
  readonly createdDate?: string;
  /** When the secret was deleted (ISO 8601); undefined when it is not being deleted. */
  readonly deletedDate?: string;
}

/** What a triggering event asks of the fetch. */
export interface SourceEventAsk {
  /** The version the event names; undefined: the current one. */
  readonly versionId?: string;
  /** The event reports the secret's deletion (then the fetch checks {@link SecretSource.deletion}). */
  readonly deletion: boolean;
  /** When the named version became current (the freshness metric's start); null when the event does not say. */
  readonly changedAt: string | null;
}

/**
 * The fetch side of one provider at run time (functions/sources/<provider>/client.ts; test/support/ports.ts in
 * memory). `ref` is the mapping's reference to its secret (`secretArn`).
 */
export interface SecretSource {
  /**
   * Reads what an execution's event asks for: the version it names, whether it reports a deletion, when the
   * version became current. `label` is the staging label the mapping follows (default AWSCURRENT): only its event
   * names a version.
   *
   * @throws InvalidInputError when the event is missing, or names another secret.
   */
  readEvent(event: unknown, ref: string, label?: string): SourceEventAsk;
  /**
   * One version of the secret: `versionId`, else the one carrying `label` (default AWSCURRENT); `current` says
   * whether it carries `label`.
   *
   * @throws NotFoundError, PermissionDeniedError, TransientError, InvalidInputError.
   */
  readVersion(ref: string, versionId?: string, label?: string): Promise<SourceVersion>;
  /**
   * The version carrying the staging label `stage` (a `data` entry's `stage: AWSPREVIOUS`), or null when no version
   * carries it (AWSPREVIOUS of a secret's first version). Read after {@link SecretSource.readVersion}, so a
   * not-found here is the label, not the secret.
   *
   * @throws NotFoundError, PermissionDeniedError, TransientError, InvalidInputError.
   */
  readStage(ref: string, stage: string): Promise<SourceVersion | null>;
  /** Whether the secret is being deleted now (answers while it can still be restored, unlike a read). */
  deletion(ref: string): Promise<SourceDeletion>;
  /**
   * The current version (the one carrying `label`, default AWSCURRENT), when it was created, and a pending deletion;
   * never a value. For the CLI's `status`, with the caller's credentials: the fetch function's role is not given
   * what it needs.
   *
   * @throws NotFoundError, PermissionDeniedError, TransientError, InvalidInputError.
   */
  current(ref: string, label?: string): Promise<SourceCurrent>;
}

/** What `doctor` concludes about a mapping's secret at its provider (metadata only, never a value). */
export interface SourceCheck {
  readonly verdict: 'ok' | 'problem';
  /** What was found, in the provider's words. */
  readonly message: string;
  /** With a problem: what to do, as a command of the provider's CLI or a change of the mapping. */
  readonly fix?: string;
}

/**
 * The CLI's diagnosis side of one provider (functions/sources/<provider>/doctor.ts), with the caller's
 * credentials: whether the mapping's reference names a secret a sync can read, and how to repair it when not.
 */
export interface SourceDoctor {
  /**
   * Checks the secret `ref` names: it exists under exactly that reference, is not being deleted, has a current
   * version. A problem names its fix (`mappingId` and `region` go into it).
   *
   * @throws the provider's error when it could not be asked (no credentials, no network, access denied).
   */
  check(ref: string, where: { readonly mappingId: string; readonly region: string }): Promise<SourceCheck>;
}

/** An IAM policy statement as JSON (the stack turns it into CDK's PolicyStatement). */
export interface IamStatementJson {
  readonly Effect?: 'Allow';
  readonly Action: string | readonly string[];
  readonly Resource: string | readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

/** What a provider's fetch function needs in IAM, from the mapping's settings. */
export interface SourcePolicyOptions {
  /** The mapping watches deletions (its `cloudTrailRules`): the fetch also confirms them. */
  readonly watchDeletion: boolean;
  /** The customer managed key that encrypts the secret at the provider, if any. */
  readonly kmsKeyArn?: string;
  /** The stack's region (a CDK token in a stack). */
  readonly region: string;
}

/**
 * How a provider's mappings name their secret (the mapping's reference field, `secretArn`): what the config
 * checks, and what the stack checks and warns about. Pure.
 */
export interface SourceReference {
  /**
   * What is wrong with `ref` as a reference of this provider and how to fix it, for the config's error (after the
   * quoted value: `"<ref>" <problem>`).
   *
   * @returns `undefined` when `ref` is one.
   */
  problem(ref: string): string | undefined;
  /** The region whose events name the secret, when the reference says (the stack must be in it). */
  region(ref: string): string | undefined;
  /**
   * A warning for a valid reference that is likely a mistake, naming the mapping (`mapping <id>: ...`).
   *
   * @returns `undefined` when there is nothing to warn about.
   */
  warning(ref: string, mappingId: string): string | undefined;
}

/** The deploy side of a provider: what the stack needs to know, as data. Pure. */
export interface SourceProvider {
  /** The kind a mapping's `source` names (its key in the registries of functions/sources/). */
  readonly kind: string;
  /** How a mapping names its secret. */
  readonly reference: SourceReference;
  /**
   * The EventBridge pattern of a rule that starts a sync of `ref`: `label` (the followed staging label `label`,
   * default AWSCURRENT, moved to a new version; every mapping) or `trail` (deletion and restore; a mapping with
   * `cloudTrailRules`).
   *
   * @throws Error when `ref` is not a reference this provider reads.
   */
  eventPattern(rule: SecretEventRule, ref: string, label?: string): EventPatternJson;
  /** The IAM statements of the fetch function's role: read exactly `ref`, and what its options need. */
  fetchPolicy(ref: string, options: SourcePolicyOptions): readonly IamStatementJson[];
}
