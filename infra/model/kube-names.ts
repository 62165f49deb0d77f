/**
 * The names this app gives Kubernetes objects and groups, written once: the group the EKS access entry puts a
 * mapping's identity in, the Role and RoleBinding that grant it its Secrets, the admission policy of `restart`, the
 * labels on all of them, and the ApplySet parent that `eks-secret-sync rbac --cluster` prunes by.
 *
 * Every name carries a key of the app (its `stack.name`, account and region): two apps with a mapping `db` on one
 * shared cluster (a staging and a prod stack, or one app in two accounts or regions) get distinct groups and
 * objects, so neither identity receives the other's Role and neither `rbac` apply overwrites the other's objects.
 * Pure (node:crypto only), so the construct, the CLI and the test bed build the same names.
 */
import { createHash } from 'node:crypto';
import { MAPPING_LABEL, managedLabels } from '../../functions/domain/metadata.ts';
import { PRODUCT_NAME } from '../../functions/domain/product.ts';
import { parseSecretArn } from './secret-arn.ts';

/** The app a name belongs to: the mappings file's `stack.name`, and the account and region of its secrets. */
export interface AppScope {
  readonly appName: string;
  readonly account: string;
  readonly region: string;
}

/**
 * Hex digits of the app key (32 bits). Only apps that share a cluster can collide; for 100 apps on one cluster the
 * chance is about 1 in a million.
 */
const APP_KEY_CHARS = 8;

/** Label on every object `rbac` prints: the {@link appKey} of the app it belongs to. */
export const APP_LABEL = 'eks-secret-sync.io/app';

/** Annotation on every object `rbac` prints naming the app in words: `<stack.name> (<account>, <region>)`. */
export const APP_ANNOTATION = 'eks-secret-sync.io/app-name';

/**
 * The app's key: 8 hex digits of SHA-256 over its name, account and region. Part of every Kubernetes name of the
 * app, and the value of {@link APP_LABEL}.
 */
export function appKey(scope: AppScope): string {
  return createHash('sha256')
    .update(`${scope.appName}\n${scope.account}\n${scope.region}`)
    .digest('hex')
    .slice(0, APP_KEY_CHARS);
}

/**
 * The scope of an app whose mappings read `secretArn` (a file's secrets share one account and region, which
 * config validation checks).
 *
 * @throws Error when `secretArn` is not a full secret ARN (validation refuses those first).
 */
export function appScopeOf(appName: string, secretArn: string): AppScope {
  const arn = parseSecretArn(secretArn);
  if (arn === undefined) throw new Error(`${secretArn} is not a secret ARN; expected arn:aws:secretsmanager:...`);
  return { appName, account: arn.account, region: arn.region };
}

/** What one mapping of one app is called in a cluster. */
export interface KubeNames {
  /** The Kubernetes group of the mapping's EKS access entry: `eks-secret-sync:<app key>:<id>`. */
  readonly group: string;
  /** The Role and the RoleBinding in each namespace of its targets: `eks-secret-sync-<app key>-<id>`. */
  readonly rbacName: string;
  /** The ValidatingAdmissionPolicy of `restart` and its binding: `eks-secret-sync-restart-<app key>-<id>`. */
  readonly restartPolicyName: string;
  /** Labels of each object: managed-by, the mapping id, the app key. */
  readonly labels: Readonly<Record<string, string>>;
  /** Annotations of each object: the app in words. */
  readonly annotations: Readonly<Record<string, string>>;
}

/**
 * The names of mapping `mappingId` of app `scope`. A mapping id has at most 40 characters, so a Role name has at
 * most 65 and a policy name at most 73 (DNS subdomains allow 253); the key fits a label value (63).
 */
export function kubeNames(scope: AppScope, mappingId: string): KubeNames {
  const key = appKey(scope);
  return {
    group: `${PRODUCT_NAME}:${key}:${mappingId}`,
    rbacName: `${PRODUCT_NAME}-${key}-${mappingId}`,
    restartPolicyName: `${PRODUCT_NAME}-restart-${key}-${mappingId}`,
    labels: { ...managedLabels(mappingId), [APP_LABEL]: key },
    annotations: { [APP_ANNOTATION]: `${scope.appName} (${scope.account}, ${scope.region})` },
  };
}

/**
 * The names before they were scoped to the app (up to release 794ea30): the same for every app. Only for the
 * migration (`rbac --cluster <name> --legacy` prints those objects for `kubectl delete`; docs/deploy.md).
 */
export function legacyKubeNames(mappingId: string): Pick<KubeNames, 'group' | 'rbacName' | 'restartPolicyName'> {
  return {
    group: `${PRODUCT_NAME}:${mappingId}`,
    rbacName: `${PRODUCT_NAME}-${mappingId}`,
    restartPolicyName: `${PRODUCT_NAME}-restart-${mappingId}`,
  };
}

/** The label selector of every object `rbac` prints for an app (all its mappings). */
export function appSelector(scope: AppScope): string {
  return `${APP_LABEL}=${appKey(scope)}`;
}

/** The label selector of a mapping's objects of an app. */
export function mappingSelector(scope: AppScope, mappingId: string): string {
  return `${appSelector(scope)},${MAPPING_LABEL}=${mappingId}`;
}

/**
 * The scope of the app a validated config describes: its `stack.name`, and the account and region of its secrets.
 *
 * @throws Error when the config has no mapping (validation refuses such a file first).
 */
export function configAppScope(config: {
  readonly stack: { readonly name: string };
  readonly mappings: readonly { readonly secretArn: string }[];
}): AppScope {
  const first = config.mappings[0];
  if (first === undefined) throw new Error('a mappings file without mappings has no app scope');
  return appScopeOf(config.stack.name, first.secretArn);
}
