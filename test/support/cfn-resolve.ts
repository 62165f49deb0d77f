/**
 * The synthesized templates of an app as a deployed fleet would hold them: every intrinsic function (Ref, GetAtt,
 * Join, Select, Split, Sub, ImportValue) resolved with made-up physical names in one account and region, so an IAM
 * evaluator can read the policies as AWS would. The names are stand-ins (CloudFormation's random suffixes are not
 * knowable); ARNs have AWS's documented shapes.
 */
import { createHash } from 'node:crypto';

/** A CloudFormation template as JSON. */
export interface TemplateJson {
  Resources: Record<string, { Type: string; Properties?: Record<string, any> }>;
  Outputs?: Record<string, { Value: unknown; Export?: { Name: unknown } }>;
}

/** Where the fleet is deployed. */
export interface Deployment {
  readonly account: string;
  readonly region: string;
}

/** One deployed stack: resolved resources and the physical id and ARN of each. */
export interface ResolvedStack {
  readonly name: string;
  readonly resources: Record<string, { Type: string; Properties: Record<string, any> }>;
  /** Ref of a logical id. */
  ref(logicalId: string): string;
  /** GetAtt Arn of a logical id. */
  arn(logicalId: string): string;
}

const short = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 17);

/**
 * Resolves the stacks in order (an ImportValue names an export of an earlier stack).
 *
 * @throws Error naming an intrinsic the resolver does not know, or an unknown import.
 */
export function resolveFleet(
  stacks: readonly { name: string; template: TemplateJson }[],
  where: Deployment,
): ResolvedStack[] {
  const exports = new Map<string, unknown>();
  return stacks.map(({ name, template }) => {
    const { account, region } = where;
    const partition = 'aws';
    const physical = (id: string) => {
      const r = template.Resources[id];
      if (!r) throw new Error(`${name}: no resource ${id}`);
      const p = r.Properties ?? {};
      switch (r.Type) {
        case 'AWS::IAM::Role':
          return p.RoleName ?? `${name}-${id}`.slice(0, 64);
        case 'AWS::Lambda::Function':
          return p.FunctionName ?? `${name}-${id}`.slice(0, 64);
        case 'AWS::KMS::Key':
          return `key-${short(`${name}/${id}`)}`;
        case 'AWS::SQS::Queue':
          return `https://sqs.${region}.amazonaws.com/${account}/${name}-${id}`;
        case 'AWS::EC2::SecurityGroup':
          return `sg-${short(`${name}/${id}`)}`;
        case 'AWS::EC2::VPCEndpoint':
          return `vpce-${short(`${name}/${id}`)}`;
        case 'AWS::SNS::Topic':
          return `arn:${partition}:sns:${region}:${account}:${name}-${id}`;
        case 'AWS::StepFunctions::StateMachine':
          return `arn:${partition}:states:${region}:${account}:stateMachine:${p.StateMachineName ?? `${name}-${id}`}`;
        case 'AWS::Events::Rule':
          return p.Name ?? `${name}-${id}`.slice(0, 64);
        default:
          return `${name}-${id}`;
      }
    };
    const arnOf = (id: string): string => {
      const r = template.Resources[id]!;
      const base = (service: string, rest: string) => `arn:${partition}:${service}:${region}:${account}:${rest}`;
      switch (r.Type) {
        case 'AWS::IAM::Role':
          return `arn:${partition}:iam::${account}:role${r.Properties?.Path ?? '/'}${physical(id)}`;
        case 'AWS::Lambda::Function':
          return base('lambda', `function:${physical(id)}`);
        case 'AWS::KMS::Key':
          return base('kms', `key/${physical(id)}`);
        case 'AWS::SQS::Queue':
          return base('sqs', `${name}-${id}`);
        case 'AWS::StepFunctions::StateMachine':
        case 'AWS::SNS::Topic':
          return physical(id);
        case 'AWS::Events::Rule':
          return base('events', `rule/${physical(id)}`);
        case 'AWS::DynamoDB::Table':
          return base('dynamodb', `table/${physical(id)}`);
        case 'AWS::Logs::LogGroup':
          return base('logs', `log-group:${r.Properties?.LogGroupName ?? `${name}-${id}`}:*`);
        default:
          return base('unknown', `${r.Type}/${id}`);
      }
    };
    const pseudo: Record<string, string> = {
      'AWS::AccountId': account,
      'AWS::Region': region,
      'AWS::Partition': partition,
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::StackName': name,
      'AWS::StackId': `arn:${partition}:cloudformation:${region}:${account}:stack/${name}/${short(name)}`,
      'AWS::NoValue': '',
    };
    const resolve = (v: unknown): any => {
      if (Array.isArray(v)) return v.map(resolve);
      if (v === null || typeof v !== 'object') return v;
      const o = v as Record<string, unknown>;
      const keys = Object.keys(o);
      if (keys.length === 1 && (keys[0] === 'Ref' || keys[0]!.startsWith('Fn::'))) {
        const [fn] = keys as [string];
        const arg = o[fn];
        switch (fn) {
          case 'Ref':
            return pseudo[arg as string] ?? physical(arg as string);
          case 'Fn::GetAtt': {
            const [id, attr] = (typeof arg === 'string' ? arg.split('.') : arg) as [string, string];
            if (attr === 'Arn') return arnOf(id);
            if (attr === 'GroupId') return physical(id);
            if (attr === 'RoleId') return `AROA${short(id).toUpperCase()}`;
            return `${physical(id)}.${attr}`;
          }
          case 'Fn::Join': {
            const [sep, parts] = arg as [string, unknown[]];
            return (resolve(parts) as unknown[]).join(sep);
          }
          case 'Fn::Select': {
            const [i, list] = arg as [unknown, unknown];
            return (resolve(list) as unknown[])[Number(resolve(i))];
          }
          case 'Fn::Split': {
            const [sep, text] = arg as [string, unknown];
            return String(resolve(text)).split(sep);
          }
          case 'Fn::Sub': {
            const [text, vars] = (typeof arg === 'string' ? [arg, {}] : arg) as [string, Record<string, unknown>];
            return text.replace(/\$\{([^}]+)\}/g, (_, k: string) => {
              if (k in vars) return String(resolve(vars[k]));
              if (k in pseudo) return pseudo[k]!;
              const [id, attr] = k.split('.') as [string, string | undefined];
              return attr === 'Arn' ? arnOf(id) : physical(id);
            });
          }
          case 'Fn::ImportValue': {
            const key = String(resolve(arg));
            if (!exports.has(key)) throw new Error(`${name}: no export ${key}`);
            return exports.get(key);
          }
          case 'Fn::If':
          case 'Fn::Equals':
          case 'Fn::Not':
          case 'Fn::And':
          case 'Fn::Or':
          case 'Fn::FindInMap':
          case 'Fn::GetAZs':
          case 'Fn::Base64':
            throw new Error(`${name}: ${fn} is not resolved by test/support/cfn-resolve.ts`);
          default:
            break;
        }
      }
      return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, resolve(x)]));
    };
    const resources = Object.fromEntries(
      Object.entries(template.Resources).map(([id, r]) => [
        id,
        { Type: r.Type, Properties: resolve(r.Properties ?? {}) },
      ]),
    );
    for (const out of Object.values(template.Outputs ?? {})) {
      if (out.Export) exports.set(String(resolve(out.Export.Name)), resolve(out.Value));
    }
    return { name, resources, ref: physical, arn: arnOf };
  });
}
