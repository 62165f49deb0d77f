// `npm run testbed`: starts the test bed, prints where its connection details
// are, and keeps it running until interrupted (Ctrl-C), then cleans up.
import { MissingToolError } from './toolchain.ts';
import { writeCliEnvironment } from './cli-env.ts';
import { keptLogsDir } from './paths.ts';
import { startTestbed } from './testbed.ts';
import { dirname, join } from 'node:path';

const log = (msg: string) => process.stderr.write(`[testbed] ${msg}\n`);

try {
  const tb = await startTestbed(log);
  const d = tb.details;
  log(`kube-apiserver ${d.cluster.server} (cluster "${d.cluster.name}", ${d.versions.replace(/\n/g, ', ')})`);
  log(`moto ${d.moto.url}`);
  log(
    `identities: ${Object.entries(d.identities)
      .map(([n, i]) => `${n}=${i.roleArn}`)
      .join(' ')}`,
  );
  log('connection details (CA file, admin token, credentials per identity):');
  process.stdout.write(`${tb.detailsPath}\n`);
  // The set-up of the CLI docs' examples (docs/cli.md#examples), next to the kept logs under .testbed/.
  const cli = await writeCliEnvironment(d, join(dirname(keptLogsDir), 'cli'));
  log(`the CLI's examples (docs/cli.md): cd ${cli.dir} && . ./env && npx eks-secret-sync plan --mapping app-config`);
  log('running; press Ctrl-C to stop');
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    log('stopping');
    await tb.stop();
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  setInterval(() => {}, 1 << 30);
} catch (err) {
  log(err instanceof MissingToolError ? err.message : `failed to start: ${(err as Error).message}`);
  process.exit(1);
}
