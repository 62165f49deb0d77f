// What the waves tests read back (test/e2e/waves.test.ts, test/e2e/waves-redrive.test.ts): a Deployment's pod
// template annotations, the Secret, the version an execution fetched, and how often an execution entered a state.
import { adminToken, kube } from './kube.ts';
import type { ExecutionRecord } from './pipeline.ts';

/** The pod template annotations of `deployment/api` in `ns` (where a restart writes its marker). */
export const podAnnotations = async (ns: string) =>
  (await kube(adminToken(), 'GET', `/apis/apps/v1/namespaces/${ns}/deployments/api`)).body.spec.template.metadata
    .annotations ?? {};

/** The target Secret `app-config` in `ns`. */
export const secretOf = (ns: string) => kube(adminToken(), 'GET', `/api/v1/namespaces/${ns}/secrets/app-config`);

/** The version id FetchSecret fetched in the execution `r`. */
export const versionOf = (r: ExecutionRecord) =>
  r.events.find((e) => e.type === 'StateExited' && e.state.name === 'FetchSecret').state.output.fetched.source
    .versionId as string;

/** How many times the execution `r` entered `state`. */
export const entered = (r: ExecutionRecord, state: string) =>
  r.events.filter((e) => e.type === 'StateEntered' && e.state.name === state).length;
