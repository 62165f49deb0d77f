/** Workloads for the restart tests: the kinds a mapping may restart, and a minimal valid one of each. */

/** A workload kind `restart` accepts. */
export type Kind = 'Deployment' | 'StatefulSet' | 'DaemonSet';

/** The API resource of each kind (group `apps`, v1). */
export const RESOURCE: Record<Kind, string> = {
  Deployment: 'deployments',
  StatefulSet: 'statefulsets',
  DaemonSet: 'daemonsets',
};

/**
 * A minimal valid workload that reads the Secret `app-config` through environment variables, as the ones that
 * need a restart do; `labels` become the workload's own labels (none by default).
 */
export function workload(kind: Kind, namespace: string, name: string, labels?: Record<string, string>) {
  const selector = { app: name };
  const template = {
    metadata: { labels: selector, annotations: { 'example.com/team': 'checkout' } },
    spec: {
      containers: [{ name: 'app', image: 'registry.invalid/app:1', envFrom: [{ secretRef: { name: 'app-config' } }] }],
    },
  };
  return {
    apiVersion: 'apps/v1',
    kind,
    metadata: { name, namespace, ...(labels && { labels }) },
    spec: { selector: { matchLabels: selector }, template, ...(kind === 'StatefulSet' && { serviceName: name }) },
  };
}
