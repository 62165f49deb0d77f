// `npm run demo`: the main job on the embedded default, with no AWS account.
// Starts the test bed, takes the first mapping of mappings.example.yaml, creates
// its AWS secret in moto, runs the real state machine with the synthesized
// bundles against the real kube-apiserver, updates the secret and runs again,
// printing each execution's trace and the resulting Secret with masked values.
// Cleans up after itself, also when interrupted.
import { join } from 'node:path';
import { loadMappings } from '../infra/model/config.ts';
import { targetViews } from '../infra/model/targets.ts';
import { kubeRequest } from '../testbed/kube-admin.ts';
import { LocalMapping, type Bundles } from '../testbed/local-pipeline.ts';
import { repoRoot } from '../testbed/paths.ts';
import { startTestbed, type Testbed } from '../testbed/testbed.ts';
import { MissingToolError } from '../testbed/toolchain.ts';
import { formatTrace, maskedData } from '../testbed/trace.ts';
import { leftOut, NEXT_STEPS } from './demo-scope.ts';
import { synthBundles } from './synth-bundles.ts';

const out = (s = '') => process.stdout.write(`${s}\n`);
const log = (s: string) => process.stderr.write(`[demo] ${s}\n`);

let testbed: Testbed | undefined;
let mapping: LocalMapping | undefined;
let cleaning: Promise<void> | undefined;
const cleanup = () =>
  (cleaning ??= (async () => {
    await mapping?.close();
    await testbed?.stop();
  })());
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    log(`${sig}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  });
}

async function showSecret(m: LocalMapping): Promise<void> {
  const s = await kubeRequest(
    m.details,
    m.details.cluster.adminToken,
    'GET',
    `/api/v1/namespaces/${m.namespace}/secrets/${m.secretName}`,
  );
  const a = s.body.metadata.annotations ?? {};
  out(
    `Secret ${m.namespace}/${m.secretName} (type ${s.body.type}, resourceVersion ${s.body.metadata.resourceVersion})`,
  );
  out(
    `  source version ${a['eks-secret-sync.io/source-version-id']} ` +
      `created ${a['eks-secret-sync.io/source-created-date']}`,
  );
  out(maskedData(s.body.data));
}

try {
  const config = loadMappings(join(repoRoot, 'mappings.example.yaml'));
  const example = targetViews(config.mappings[0]!)[0]!;
  log(
    `mapping "${example.id}" from mappings.example.yaml: ${example.namespace}/${example.secretName} (${example.type})`,
  );
  out(`Left out of the example mapping "${example.id}" here:`);
  for (const line of leftOut(example)) out(`  - ${line}`);
  out();
  log('synthesizing the CDK app for the Lambda bundles');
  const bundles = (await synthBundles()) as Bundles;
  testbed = await startTestbed(log);

  const initial = { username: 'payments', password: 'correct-horse-battery-staple', port: 5432 };
  mapping = await LocalMapping.create(testbed.details, bundles, {
    id: example.id,
    namespacePrefix: example.namespace,
    secretName: example.secretName,
    type: example.type,
    prune: example.prune,
    labels: example.labels,
    secretString: JSON.stringify(initial),
  });
  out(`AWS secret ${mapping.secretArn} -> Kubernetes Secret ${mapping.namespace}/${mapping.secretName}`);
  out();
  out('1. initial sync');
  const first = await mapping.run({ source: 'eks-secret-sync', 'detail-type': 'Initial sync' });
  out(formatTrace(first));
  await showSecret(mapping);

  out();
  out('2. rotate: change the password, add a key; Secrets Manager sends "Secret Label Updated"');
  await new Promise((r) => setTimeout(r, 1100)); // version dates have one-second precision
  const v2 = await mapping.putSecret({
    secretString: JSON.stringify({ ...initial, password: 'a-new-one-every-day', sslmode: 'require' }),
  });
  const second = await mapping.run(mapping.labelEvent(v2));
  out(formatTrace(second));
  await showSecret(mapping);

  out();
  out('3. the same event delivered again (EventBridge is at-least-once)');
  out(formatTrace(await mapping.run(mapping.labelEvent(v2))));

  const failed = [first, second].filter((r) => r.status !== 'SUCCEEDED');
  await cleanup();
  if (failed.length) {
    log(`${failed.length} execution(s) failed: ${failed.map((f) => f.error?.name).join(', ')}`);
    process.exit(1);
  }
  log('done; test bed stopped');
  out();
  out('Try next:');
  for (const line of NEXT_STEPS) out(`  - ${line}`);
} catch (err) {
  log(err instanceof MissingToolError ? err.message : `failed: ${(err as Error).stack ?? err}`);
  await cleanup();
  process.exit(1);
}
