/**
 * The name of the app a construct belongs to: the `stack.name` of its mappings file, shared by every stack the app
 * makes (infra/model/fleet.ts). The names of deployed resources that the whole app shares (rule and state machine
 * prefixes, the role path, the execution log group) come from it (infra/model/resource-names.ts), so every stack of the
 * app builds them from the same string, without a cross-stack reference.
 */
import { Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** Context key, set on each stack of an app, holding the app's name. */
export const APP_NAME_CONTEXT = 'eks-secret-sync:appName';

/** The app's name of `scope`'s stack; the stack's own name when none was set (one EksSecretSync in any stack). */
export function appNameOf(scope: IConstruct): string {
  const stack = Stack.of(scope);
  const value: unknown = stack.node.tryGetContext(APP_NAME_CONTEXT);
  return typeof value === 'string' && value !== '' ? value : stack.stackName;
}
