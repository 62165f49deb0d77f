/**
 * A function of the stack placed in a VPC by subnet and security group ids (a mapping's `cluster.vpc`), with
 * nothing looked up at synth: the ids go into the function's VpcConfig as they are, and its role gets exactly the
 * EC2 actions Lambda performs with it to manage the function's network interfaces
 * (docs/deploy.md#private-clusters-functions-in-a-vpc).
 */
import { Stack, Token, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import type { SyncFunction } from './lambda-defaults.ts';

/** Where a function runs: the subnets and security groups of its network interfaces. */
export interface FunctionVpcPlacement {
  readonly subnetIds: readonly string[];
  readonly securityGroupIds: readonly string[];
}

/**
 * The EC2 actions Lambda calls with a VPC function's execution role (the documented content of the managed policy
 * AWSLambdaVPCAccessExecutionRole without its logs actions, which the role already has for its own log group).
 * `Describe*` support no resource ARN. CreateNetworkInterface is limited to the placement's subnets and security
 * groups; delete and the address calls to network interfaces in the placement's subnets (`ec2:Subnet`, the only
 * condition of these calls that says where an interface is: the EC2 service authorization reference lists no
 * security-group key for them).
 */
export const ENI_DESCRIBE_ACTIONS = ['ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets'] as const;
export const ENI_CREATE_ACTIONS = ['ec2:CreateNetworkInterface'] as const;
export const ENI_MANAGE_ACTIONS = [
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
] as const;

/**
 * Puts the function's network interfaces in the given subnets with the given security groups and lets its role
 * manage them. The security groups are used as they are: the stack adds no rule to them (they are the caller's).
 */
export function placeInVpc(fn: SyncFunction, placement: FunctionVpcPlacement): void {
  const stack = Stack.of(fn);
  const ec2Arn = (resource: string, resourceName: string) =>
    stack.formatArn({ service: 'ec2', resource, resourceName });
  const eni = ec2Arn('network-interface', '*');
  (fn.function.node.defaultChild as CfnFunction).vpcConfig = {
    subnetIds: [...placement.subnetIds],
    securityGroupIds: [...placement.securityGroupIds],
  };
  fn.role.addToPrincipalPolicy(new PolicyStatement({ actions: [...ENI_DESCRIBE_ACTIONS], resources: ['*'] }));
  fn.role.addToPrincipalPolicy(
    new PolicyStatement({
      actions: [...ENI_CREATE_ACTIONS],
      resources: [
        eni,
        ...placement.subnetIds.map((id) => ec2Arn('subnet', id)),
        ...placement.securityGroupIds.map((id) => ec2Arn('security-group', id)),
      ],
    }),
  );
  fn.role.addToPrincipalPolicy(
    new PolicyStatement({
      actions: [...ENI_MANAGE_ACTIONS],
      resources: [eni],
      conditions: { ArnEquals: { 'ec2:Subnet': placement.subnetIds.map((id) => ec2Arn('subnet', id)) } },
    }),
  );
  const policy = fn.role.node.tryFindChild('DefaultPolicy') ?? fn.role;
  for (const why of eniWildcardReasons(stack)) Validations.of(policy).acknowledge(why);
}

/** cdk-nag names a resource by its ARN with unresolved parts written `<AWS::...>`. */
function eniWildcardReasons(stack: Stack): { id: string; reason: string }[] {
  const part = (value: string, pseudo: string) => (Token.isUnresolved(value) ? `<AWS::${pseudo}>` : value);
  const where = `${part(stack.region, 'Region')}:${part(stack.account, 'AccountId')}`;
  const eni = `arn:<AWS::Partition>:ec2:${where}:network-interface/*`;
  return [
    {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'A function in a VPC: Lambda calls ec2:DescribeNetworkInterfaces and ec2:DescribeSubnets with its role, ' +
        'and these actions support no resource ARN.',
    },
    {
      id: `AwsSolutions-IAM5[Resource::${eni}]`,
      reason:
        'A function in a VPC: Lambda creates, deletes and assigns addresses to its network interfaces with its ' +
        'role; their ids are not known before Lambda creates them. Creation is limited to the given subnets and ' +
        'security groups, deletion and address changes to interfaces in the given subnets (ec2:Subnet).',
    },
  ];
}
