/**
 * Use of the seal key by KMS grants, one per step role and purpose, each bound to the role and to its mapping's exact
 * encryption context (docs/decisions.md#seal-key-use-by-grants-not-by-role-path). The key policy names no step role
 * and admits no role by path: a role someone creates under the app's path, or `kms:Decrypt` added to any role's IAM
 * policy, opens nothing. Grants cost nothing, so idle cost does not grow per mapping.
 *
 * - {@link SealGrantor} (the core stack, one per app): the function behind every stack's grants resource; its role is
 *   the only principal the key policy lets create grants, and only grants of the seal operations, constrained to an
 *   exact encryption context, for roles under the app's path (infra/constructs/seal-key.ts).
 * - {@link SealGrants} (each stack): `Custom::EksSecretSyncSealGrants`, listing the grants of the stack's step roles,
 *   collected from `grantSeal` (infra/constructs/functions/common.ts), so the grants are exactly the roles' own IAM
 * statements.
 */
import { CustomResource, Duration, Lazy } from 'aws-cdk-lib';
import { type IRole, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct, type IConstruct } from 'constructs';
import { sealGrantName, type SealGrantOperation } from '../../functions/domain/seal-grants.ts';
import { SyncFunction } from './lambda-defaults.ts';
import type { SealAction, SealPurpose } from './seal-key.ts';

/** The CloudFormation type of a stack's seal grants. */
export const SEAL_GRANTS_RESOURCE_TYPE = 'Custom::EksSecretSyncSealGrants';

/** The first part of every seal grant's name. */
export const SEAL_GRANT_NAME_PREFIX = 'eks-secret-sync';

/** What the grantor's role may call on the seal key (CreateGrant only within the key policy's conditions). */
export const SEAL_GRANTOR_ACTIONS = ['kms:CreateGrant', 'kms:ListGrants', 'kms:RevokeGrant'] as const;

/** Props of {@link SealGrantor}. */
export interface SealGrantorProps {
  /**
   * Retention of the function's log group.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
}

/**
 * The function that reconciles a stack's seal grants (functions/seal-grants). Created before the key, so the key
 * policy can name its role; {@link SealGrantor.allowOn} then gives its role the grant calls on that key.
 */
export class SealGrantor extends SyncFunction<'seal-grants'> {
  constructor(scope: Construct, id: string, props: SealGrantorProps = {}) {
    super(scope, id, {
      name: 'seal-grants',
      description: 'eks-secret-sync seal-grants: the KMS grants that let each step role use the seal key',
      // The settle wait after new grants (GRANT_SETTLE_SECONDS) and a few hundred calls fit well within this.
      timeout: Duration.minutes(3),
      logRetention: props.logRetention,
      environment: {},
    });
  }

  /** The grant calls on `key`, in the role's IAM policy (CreateGrant also needs the key policy's statement). */
  allowOn(key: IKey): void {
    this.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: [...SEAL_GRANTOR_ACTIONS], resources: [key.keyArn] }),
    );
  }
}

/** Props of {@link SealGrants}. */
export interface SealGrantsProps {
  /** The seal key. */
  readonly sealKey: IKey;
  /** The grantor function's ARN (in the core stack). */
  readonly serviceToken: string;
}

interface WantedGrant {
  readonly name: string;
  readonly role: IRole;
  readonly operations: Set<SealGrantOperation>;
  readonly encryptionContext: Readonly<Record<string, string>>;
}

/** Construct id of a stack's {@link SealGrants} (found by {@link SealGrants.of}). */
const SEAL_GRANTS_ID = 'SealGrants';

/** One stack's seal grants: a custom resource whose properties list every grant the stack's roles were given. */
export class SealGrants extends Construct {
  /**
   * The seal grants of the EksSecretSync that holds `scope`, if any (a function construct used alone has none:
   * its role then holds its IAM statement only and opens nothing).
   */
  static of(scope: IConstruct): SealGrants | undefined {
    for (const s of [...scope.node.scopes].reverse()) {
      const found = s.node.tryFindChild(SEAL_GRANTS_ID);
      if (found instanceof SealGrants) return found;
    }
    return undefined;
  }

  /** The custom resource; a mapping's deploy-time sync depends on it. */
  readonly resource: CustomResource;
  private readonly wanted = new Map<string, WantedGrant>();

  /** The grants resource of the EksSecretSync `scope` (one per EksSecretSync, under a fixed id). */
  constructor(scope: Construct, props: SealGrantsProps) {
    super(scope, SEAL_GRANTS_ID);
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: props.serviceToken,
      resourceType: SEAL_GRANTS_RESOURCE_TYPE,
      properties: {
        KeyArn: props.sealKey.keyArn,
        Grants: Lazy.any({ produce: () => this.grantProperties() }, { omitEmptyArray: false }),
      },
    });
  }

  /**
   * Grants `action` to `role` for each purpose, for `mappingId`'s exact encryption context (one grant per role and
   * purpose, its operations merged).
   */
  add(role: IRole, action: SealAction, mappingId: string, purposes: readonly SealPurpose[]): void {
    const step = role.node.scope?.node.id ?? role.node.id;
    const operation = action.replace(/^kms:/, '') as SealGrantOperation;
    for (const purpose of purposes) {
      const name = sealGrantName(SEAL_GRANT_NAME_PREFIX, mappingId, step, purpose);
      const grant = this.wanted.get(name) ?? {
        name,
        role,
        operations: new Set<SealGrantOperation>(),
        encryptionContext: { mappingId, purpose },
      };
      grant.operations.add(operation);
      this.wanted.set(name, grant);
    }
  }

  /** Every grant, by name. */
  grants(): readonly {
    name: string;
    role: IRole;
    operations: SealGrantOperation[];
    context: Record<string, string>;
  }[] {
    return [...this.wanted.values()]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((g) => ({
        name: g.name,
        role: g.role,
        operations: [...g.operations].sort(),
        context: { ...g.encryptionContext },
      }));
  }

  private grantProperties() {
    return this.grants().map((g) => ({
      Name: g.name,
      GranteePrincipal: g.role.roleArn,
      Operations: g.operations,
      EncryptionContext: g.context,
    }));
  }
}
