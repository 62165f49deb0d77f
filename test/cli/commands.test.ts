// What every command shares (help, usage errors, the mappings file, colour and
// progress only on a terminal), `rbac`, and the names the CLI shares with infra/.
import { COMMAND_NAMES } from '../../bin/eks-secret-sync.ts';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { accessManifests, rbacManifests } from '../../infra/model/rbac.ts';
import { DLQ_OUTPUT_KEY, executionLogGroupPrefix } from '../../bin/lib/stack.ts';
import { DEFAULT_MAPPINGS_PER_STACK } from '../../infra/model/config-schema.ts';
import { fleetYaml } from '../support/fleet.ts';
import { ofType, synth } from '../support/infra.ts';
import {
  appOf,
  canary,
  CLI,
  cli,
  cliEnv,
  exec,
  itPrintsNoSecret,
  seedMapping,
  WORK,
  writeMappings,
  type CliRun,
  type TestMapping,
} from './support.ts';

/** Every command of the CLI's registry: a new one gets the help and usage checks below without an edit here. */
const COMMANDS = COMMAND_NAMES;
const CANARY = canary();
const runs: CliRun[] = [];
let mapping: TestMapping;
let file: string;

async function run(args: string[], env = cliEnv(), opts: Parameters<typeof cli>[2] = {}): Promise<CliRun> {
  const r = await cli(args, env, opts);
  runs.push(r);
  return r;
}

/** Single-quotes for sh. */
const sh = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/** Runs the CLI on a pseudo-terminal (util-linux `script`): stdout and stderr are a TTY there, merged. */
async function onTerminal(args: string[], extra: Record<string, string> = {}): Promise<CliRun> {
  const command = [process.execPath, CLI, ...args].map(sh).join(' ');
  const r = await exec(
    '/usr/bin/script',
    ['-qec', command, '/dev/null'],
    cliEnv('sync', { SHELL: '/bin/sh', TERM: 'xterm', ...extra }),
  );
  runs.push(r);
  return r;
}

beforeAll(async () => {
  mapping = await seedMapping({ value: JSON.stringify({ password: CANARY }) });
  file = writeMappings('CliCommands', [mapping]);
});

describe('every command', () => {
  it.each(COMMANDS)('%s --help documents its options and exit codes and exits 0', async (name) => {
    const r = await run([name, '--help']);
    const viaHelp = await run(['help', name]);

    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Usage: eks-secret-sync ${name}\\b`));
    expect(r.stdout).toContain('Exit codes:');
    expect(r.stdout).toContain('--json');
    expect(viaHelp.stdout).toBe(r.stdout);
  });

  it.each(COMMANDS)('%s refuses an unknown option with exit 2', async (name) => {
    const r = await run([name, '--frobnicate']);

    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      new RegExp(
        `^eks-secret-sync ${name}: Unknown option '--frobnicate'\\. ` +
          `Run 'eks-secret-sync ${name} --help' for usage\\.\\n$`,
      ),
    );
  });

  it('lists the commands with the shared exit codes, and refuses an unknown command with exit 2', async () => {
    const help = await run(['--help']);
    const unknown = await run(['frobnicate']);

    expect(help.code).toBe(0);
    for (const name of COMMANDS) expect(help.stdout).toMatch(new RegExp(`\\n  ${name} +\\S`));
    expect(help.stdout).toContain('Exit codes: 0 success, 1 failure, 2 usage error, 3 attention needed');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(
      new RegExp(
        /^eks-secret-sync: unknown command "frobnicate" \(commands: [a-z, ]+\)\. /.source +
          /Run 'eks-secret-sync --help' for usage\.\n$/.source,
      ),
    );
  });
});

describe('the mappings file', () => {
  it('is ./mappings.yaml, else the file cdk.json names, else a usage error', async () => {
    const local = join(WORK, 'with-local');
    const viaCdk = join(WORK, 'with-cdk-json');
    const none = join(WORK, 'with-nothing');
    for (const d of [local, viaCdk, none]) mkdirSync(d, { recursive: true });
    writeMappings('CliLocal', [mapping], 'with-local/mappings.yaml');
    writeMappings('CliCdk', [mapping], 'with-cdk-json/custom.yaml');
    writeFileSync(join(viaCdk, 'cdk.json'), JSON.stringify({ app: 'x', context: { mappings: 'custom.yaml' } }));

    const a = await run(['rbac', '--json'], cliEnv(), { cwd: local });
    const b = await run(['status', '--json', '--dlq-url', 'http://127.0.0.1:9/none'], cliEnv(), { cwd: viaCdk });
    const c = await run(['rbac'], cliEnv(), { cwd: none });

    expect(a.code).toBe(0);
    expect(JSON.parse(b.stdout)).toMatchObject({ mappingsFile: 'custom.yaml', stack: 'CliCdk' });
    expect(c.code).toBe(2);
    expect(c.stderr).toContain(
      'no mappings file: pass --mappings FILE, or run where a mappings.yaml or a cdk.json with context.mappings is',
    );
  });

  it('must exist when named (exit 2)', async () => {
    const r = await run(['plan', '--mappings', join(WORK, 'absent.yaml'), '--mapping', 'x']);

    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`the mappings file ${join(WORK, 'absent.yaml')} does not exist; pass --mappings FILE`);
  });
});

describe('rbac', () => {
  it('prints the Role and RoleBinding as YAML by default and as a v1 List with --json', async () => {
    const yaml = await run(['rbac', '--mappings', file, '--mapping', mapping.id]);
    const json = await run(['rbac', '--mappings', file, '--mapping', mapping.id, '--json']);

    expect(yaml.code).toBe(0);
    const cluster = inject('testbed').cluster.name;
    const header = `# mapping ${mapping.id}, cluster ${cluster}: ${mapping.namespace}/app-config\n---\n`;
    expect(yaml.stdout.startsWith(header)).toBe(true);
    expect(parseAllDocuments(yaml.stdout).map((d) => d.toJS())).toEqual(
      rbacManifests(mapping, appOf('CliCommands', mapping)),
    );
    expect(JSON.parse(json.stdout)).toEqual({
      apiVersion: 'v1',
      kind: 'List',
      items: rbacManifests(mapping, appOf('CliCommands', mapping)),
    });
  });

  it('adds, for a mapping with restart, the admission policy and its binding after the Role and RoleBinding', async () => {
    const restarting = { ...mapping, restart: ['deployment/api'] };
    const restartFile = writeMappings('CliCommands', [restarting]);

    const yaml = await run(['rbac', '--mappings', restartFile, '--mapping', mapping.id]);

    expect(yaml.code).toBe(0);
    const docs = parseAllDocuments(yaml.stdout).map((d) => d.toJS());
    expect(docs).toEqual(accessManifests(restarting, appOf('CliCommands', restarting)));
    expect(docs.map((d) => d.kind)).toEqual([
      'Role',
      'RoleBinding',
      'ValidatingAdmissionPolicy',
      'ValidatingAdmissionPolicyBinding',
    ]);
  });
});

describe('rbac for a cluster in another account (issue 25)', () => {
  const CA = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').toString('base64');
  const yamlOf = () => `stack: { name: CliXacct }
mappings:
  - id: db
    secretArn: arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db-AbCdEf
    targets:
      - { cluster: { name: home }, namespace: app, secretName: db }
      - cluster:
          name: far
          account: "444455556666"
          region: eu-west-1
          endpoint: https://far.example
          certificateAuthority: ${CA}
        namespace: app
        secretName: db
`;
  let xacct: string;
  let command: string;
  beforeAll(async () => {
    xacct = join(WORK, 'xacct.yaml');
    writeFileSync(xacct, yamlOf());
    const { loadMappings } = await import('../../infra/model/config.ts');
    const { configAppScope, kubeNames } = await import('../../infra/model/kube-names.ts');
    const { identityRoleArn } = await import('../../infra/model/cluster-env.ts');
    const app = configAppScope(loadMappings(xacct));
    // The principal is the mapping's Kubernetes identity role (its name keeps `mint-token`) in the secrets' account.
    command =
      `aws eks create-access-entry --region eu-west-1 --cluster-name far --principal-arn ` +
      `${identityRoleArn(app, 'db')} --type STANDARD --kubernetes-groups ${kubeNames(app, 'db').group}`;
  });

  it("prints the access entry command for that cluster's administrator, before the RBAC it binds", async () => {
    const r = await run(['rbac', '--mappings', xacct, '--cluster', 'far']);

    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`\n#   ${command}\n`);
    expect(r.stdout).toContain('cluster far is in account 444455556666, region eu-west-1');
    expect(command).toMatch(/--principal-arn arn:aws:iam::111122223333:role\/eks-secret-sync\/[0-9a-f]+\/\w+-db-mint/);
    // Still one stream kubectl applies: the lines are comments.
    expect(parseAllDocuments(r.stdout).map((d) => d.toJS().kind)).toEqual(['Role', 'RoleBinding']);
  });

  it('prints it on stderr with --json, and no such line for a cluster of the secrets account (control)', async () => {
    const json = await run(['rbac', '--mappings', xacct, '--cluster', 'far', '--json']);
    const home = await run(['rbac', '--mappings', xacct, '--cluster', 'home']);

    expect(JSON.parse(json.stdout).kind).toBe('List');
    expect(json.stderr).toContain(command);
    expect(home.code).toBe(0);
    expect(home.stdout).not.toContain('create-access-entry');
  });
});

describe('on a terminal', () => {
  it('colours the output and shows progress on stderr, still without a value', async () => {
    const r = await onTerminal(['plan', '--mappings', file, '--mapping', mapping.id]);

    expect(r.code).toBe(3); // script passes on the command's exit code (-e)
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the colour codes are what it checks.
    expect(r.stdout).toMatch(/\x1b\[32madded\x1b\[39m/);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the progress line's erase code is what it checks.
    expect(r.stdout).toMatch(/\r\x1b\[2K[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] \S+: FetchSecret…/);
  });

  it('does not colour with NO_COLOR, and never colours a pipe', async () => {
    const tty = await onTerminal(['plan', '--mappings', file, '--mapping', mapping.id], { NO_COLOR: '1' });
    const pipe = await run(['plan', '--mappings', file, '--mapping', mapping.id]);

    expect(tty.stdout).toContain('added');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: no colour code is what it checks.
    expect(tty.stdout).not.toMatch(/\x1b\[\d+m/);
    expect(pipe.stdout + pipe.stderr).not.toContain('\x1b');
  });
});

describe('names shared with infra/', () => {
  it("match the synthesized stack: the DLQ URL output and the stack's execution log group", () => {
    const s = synth();

    expect(s.json.Outputs?.[DLQ_OUTPUT_KEY]?.Value).toEqual({ Ref: expect.stringMatching(/^DeadLetterQueue/) });
    const names = ofType(s, 'AWS::Logs::LogGroup').map(([, r]) => r.Properties?.LogGroupName);
    const stackUuid = { 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] };
    expect(names).toContainEqual({ 'Fn::Join': ['', [executionLogGroupPrefix('EksSecretSync'), stackUuid]] });
    // Every state machine logs there, none to a group of its own.
    const group = ofType(s, 'AWS::Logs::LogGroup').find(([id]) => id.startsWith('ExecutionLogs'))![0];
    for (const [, sm] of ofType(s, 'AWS::StepFunctions::StateMachine')) {
      expect(sm.Properties!.LoggingConfiguration.Destinations).toStrictEqual([
        { CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [group, 'Arn'] } } },
      ]);
    }
  });
});

itPrintsNoSecret(() => [CANARY]);

describe('redrive of a file of several stacks', () => {
  it("reads the app's one dead-letter queue from the first stack, whichever stacks hold the mappings", async () => {
    const big = join(WORK, 'fleet.yaml');
    writeFileSync(big, fleetYaml(DEFAULT_MAPPINGS_PER_STACK + 1));
    // Not deployed in the test bed: the command gets as far as reading the first stack's outputs.
    const r = await run(['redrive', '--mappings', big, '--dry-run']);

    expect(r.code).toBe(1);
    expect(r.stderr).toContain('could not read the outputs of stack Fleet (');
    expect(r.stderr).not.toContain('Fleet-2');
  });
});
