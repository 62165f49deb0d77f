/**
 * Plain data shared by the pure domain functions. No SDK types, no I/O.
 *
 * Secret values are always base64 strings (the Kubernetes `data` encoding), so
 * that text and binary values travel the same way and compare byte for byte.
 */

/** Key name -> base64-encoded value, as in a Kubernetes Secret's `data`. */
export type SecretData = Record<string, string>;

/** The Secret types a mapping may ask for. */
export type SecretType = 'Opaque' | 'kubernetes.io/tls' | 'kubernetes.io/dockerconfigjson';

/** Which AWS secret version a sync carries. */
export interface SourceVersion {
  /** Full ARN of the AWS secret. */
  readonly arn: string;
  /** Secrets Manager VersionId. */
  readonly versionId: string;
  /** Creation date of that version, ISO 8601 (UTC, millisecond precision). */
  readonly createdDate: string;
  /**
   * True when the version carried AWSCURRENT when it was fetched. Breaks ties
   * between versions with the same creation date (moto's dates have one-second
   * precision): only the current one may overwrite the other. Never recorded.
   */
  readonly current?: boolean;
  /**
   * When a fetch that found this version AWSCURRENT started (ISO 8601); set
   * only with `current`, and recorded in the Secret's annotations. Orders
   * versions by when they were AWSCURRENT, which creation dates cannot: a
   * rollback moves AWSCURRENT back to an older version, and a version fetched
   * as AWSCURRENT may have been replaced by the time it would be written.
   */
  readonly currentAt?: string;
  /**
   * The staging label the mapping follows, only when it is not AWSCURRENT (the mapping's `label`): `current` and
   * `currentAt` then speak of that label, and the stale-version messages name it. Never recorded.
   */
  readonly label?: string;
  /**
   * True when the sync carries a deletion: a CloudTrail DeleteSecret event
   * for this secret, confirmed by DescribeSecret (DeletedDate set). Then
   * `versionId` is the version that was AWSCURRENT, `createdDate` the
   * deletion date, `currentAt` when the fetch that saw the deletion started,
   * and the sealed data is empty. See domain/deletion.ts.
   */
  readonly deleted?: boolean;
}

/** A bounded list of names for display: exact count, first names up to a byte budget. */
export interface NameList {
  readonly count: number;
  readonly names: readonly string[];
  /** True when `names` holds fewer than `count` names. */
  readonly truncated: boolean;
}

/** One ownerReference of a Secret: who else owns it (the garbage collector deletes it with its owners). */
export interface OwnerRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly uid: string;
  /** True for the managing controller (at most one per object): two writers of one Secret fight. */
  readonly controller?: boolean;
}

/** A field manager other than this tool that owns data keys this tool would write (server-side apply). */
export interface KeyManager {
  readonly manager: string;
  /** The desired keys it owns, sorted. */
  readonly keys: readonly string[];
}

/** The Secret as read from Kubernetes, reduced to what the domain needs. */
export interface ExistingSecret {
  readonly resourceVersion: string;
  readonly type: string;
  readonly data: SecretData;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  /** @default none */
  readonly ownerReferences?: readonly OwnerRef[];
  /** Field manager -> the data keys it owns (from `metadata.managedFields`). @default none */
  readonly keyManagers?: Readonly<Record<string, readonly string[]>>;
}

/**
 * What the read step saw, without any value: safe for the execution's state.
 * Its size depends on the AWS secret's key names, never on the Kubernetes
 * Secret's size (other keys are only counted, with a bounded list of names).
 */
export interface Observation {
  readonly exists: boolean;
  readonly resourceVersion?: string;
  readonly type?: string;
  /** The source this tool last wrote, from the Secret's annotations. */
  readonly lastSource?: SourceVersion;
  /** Keys this tool wrote last time, from the managed-keys annotation. */
  readonly managedKeys: readonly string[];
  /** AWS keys whose value in Kubernetes is byte-identical. */
  readonly same: readonly string[];
  /** AWS keys present in Kubernetes with another value. */
  readonly changed: readonly string[];
  /** AWS keys absent from Kubernetes. */
  readonly missing: readonly string[];
  /** Keys in Kubernetes that AWS does not have, and which this tool never wrote. */
  readonly others: NameList;
  /** Keys in Kubernetes that AWS no longer has but this tool wrote earlier (prune candidates). */
  readonly dropped: readonly string[];
  /** True when the Secret carries the created-by annotation: this tool created it (set only then). */
  readonly createdByUs?: boolean;
  /**
   * The data hash of the desired data under the Secret's data-hash key (`hmac-sha256:<hex>`, see
   * `dataHash` in metadata.ts); absent when the Secret has no valid key (the next write makes one).
   */
  readonly dataHash?: string;
  /** True when the Secret's data-hash annotation already equals {@link Observation.dataHash} (set only then). */
  readonly dataHashRecorded?: boolean;
  /** The Secret's ownerReferences (set only when it has any): deleting an owner deletes the Secret. */
  readonly owners?: readonly OwnerRef[];
  /** Other field managers of the desired keys (set only when there are any), by manager. */
  readonly otherManagers?: readonly KeyManager[];
}

/** Mapping options the merge decision depends on. */
export interface MergeOptions {
  readonly mappingId: string;
  readonly prune: boolean;
  readonly type: SecretType;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  /**
   * What a deletion of the AWS secret does to the Secret: `retain` keeps it
   * as it is, `delete` removes the keys this tool wrote (and the Secret when
   * this tool created it and nothing else remains).
   * @default 'retain'
   */
  readonly deletionPolicy?: DeletionPolicy;
  /**
   * Take over a Secret another controller owns: remove its ownerReferences and take the written keys under this
   * tool's field manager (the mapping option `adopt`). Without it such a Secret is refused (ForeignOwnerError).
   * @default false
   */
  readonly adopt?: boolean;
}

/** The mapping option `deletionPolicy`. */
export type DeletionPolicy = 'retain' | 'delete';

/**
 * What the apply step must do. `create` and `update` write the AWS data;
 * `delete-keys` (merge patch with nulls) and `delete-secret` (DELETE with a
 * resourceVersion precondition) carry out a deletion under the `delete`
 * policy; `retain` is a deletion under the `retain` policy (no write); `none`
 * and `skip-stale` write nothing.
 */
export type MergeAction = 'create' | 'update' | 'none' | 'skip-stale' | 'delete-keys' | 'delete-secret' | 'retain';

/** The merge decision: key names per outcome and the metadata to write. Value free. */
export interface MergePlan {
  readonly action: MergeAction;
  /** Why, in one sentence, for the console. */
  readonly reason: string;
  readonly added: readonly string[];
  readonly updated: readonly string[];
  readonly unchanged: readonly string[];
  readonly kept: NameList;
  readonly pruned: readonly string[];
  /** resourceVersion the write must carry as precondition (update, delete-keys, delete-secret). */
  readonly resourceVersion?: string;
  /** Labels and annotations to set on the Secret (create/update only). */
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  /**
   * An update that adopts the Secret (mapping option `adopt`): the ownerReferences it removes, and the keys it
   * takes under this tool's field manager (server-side apply with force). Absent otherwise.
   */
  readonly adopt?: { readonly removedOwners: readonly OwnerRef[]; readonly takeKeys: readonly string[] };
}
