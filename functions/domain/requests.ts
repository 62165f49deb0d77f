/**
 * The bodies of the Kubernetes requests that carry out a plan: a create, a
 * JSON merge patch, a DELETE's options. Types only; domain/plan.ts and
 * domain/deletion.ts build them, the Kubernetes port sends them.
 */
import type { SecretData, SecretType } from './types.ts';

/** A complete v1 Secret, the body of a create (POST). */
export interface SecretManifest {
  readonly apiVersion: 'v1';
  readonly kind: 'Secret';
  readonly metadata: {
    readonly name: string;
    readonly namespace: string;
    readonly labels: Readonly<Record<string, string>>;
    readonly annotations: Readonly<Record<string, string>>;
  };
  readonly type: SecretType;
  readonly data: SecretData;
}

/** A JSON merge patch (RFC 7386) of a Secret, the body of an update: `null` deletes a key. */
export interface SecretMergePatch {
  readonly metadata: {
    /** Precondition: the apiserver answers 409 Conflict if the Secret changed since it was read. */
    readonly resourceVersion: string;
    readonly labels: Readonly<Record<string, string>>;
    readonly annotations: Readonly<Record<string, string>>;
    /** `null` removes every ownerReference (an adopting update). */
    readonly ownerReferences?: null;
    /**
     * An adopting update's managedFields: the live ones without the other managers' claim on the adopted keys
     * (domain/observe.ts releaseKeys), so the keys' ownership can move even where the value does not change.
     */
    readonly managedFields?: readonly unknown[];
  };
  readonly data: Readonly<Record<string, string | null>>;
}

/** Where a write goes. */
export interface WriteTarget {
  readonly namespace: string;
  readonly name: string;
  readonly type: SecretType;
}

/** The body of a DELETE of the Secret: it fails with 409 when the Secret changed since it was read. */
export interface SecretDeleteOptions {
  readonly apiVersion: 'v1';
  readonly kind: 'DeleteOptions';
  readonly preconditions: { readonly resourceVersion: string };
}
