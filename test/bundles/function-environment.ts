/**
 * The environment Lambda gives a deployed function: the template's variables with their
 * intrinsics resolved as CloudFormation would (the table's name, role and function ARNs), plus
 * the variables the runtime itself sets, plus the endpoint overrides that point the bundled AWS
 * SDK at DynamoDB Local and at the test's stub of Lambda and EventBridge Scheduler. Nothing of the
 * test process's own environment leaks in: a variable the bundle needs but the stack does not
 * set is a failure here, as it would be in AWS.
 */
import { type DeployedFunction, type DeployedStack, STACK_NAME, type TemplateValue } from './deployed-stack';

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
/** Temporary credentials as the execution role's session gives them (letters and digits: DynamoDB Local). */
const SESSION = {
  AWS_ACCESS_KEY_ID: 'ASIABUNDLETEST0EXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'bundleTestSecretKey0000000000000000000000',
  AWS_SESSION_TOKEN: 'bundleTestSessionToken',
};

/** CloudFormation's physical name of a resource without an explicit name. */
export const physicalName = (logicalId: string) => `${STACK_NAME}-${logicalId}`;
export const functionArn = (logicalId: string) =>
  `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${physicalName(logicalId)}`;

export interface Endpoints {
  dynamodb: string;
  /** The stub serving Lambda Invoke and EventBridge Scheduler. @default - not set */
  aws?: string;
}

/** Resolves the intrinsics the stack's function environments use; anything else fails loudly. */
export function resolveValue(stack: DeployedStack, tableName: string, value: TemplateValue): string {
  if (typeof value === 'string') return value;
  if (value?.Ref === stack.tableLogicalId) return tableName;
  const getAtt = value?.['Fn::GetAtt'];
  if (Array.isArray(getAtt) && getAtt[1] === 'Arn') {
    const type = stack.resources[getAtt[0]]?.Type;
    if (type === 'AWS::Lambda::Function') return functionArn(getAtt[0]);
    if (type === 'AWS::IAM::Role') return `arn:aws:iam::${ACCOUNT}:role/${physicalName(getAtt[0])}`;
  }
  const join = value?.['Fn::Join'];
  if (Array.isArray(join)) {
    const [separator, parts] = join as [string, TemplateValue[]];
    return parts.map((part) => resolveValue(stack, tableName, part)).join(separator);
  }
  throw new Error(`cannot resolve ${JSON.stringify(value)} in a function environment`);
}

export function lambdaEnvironment(
  stack: DeployedStack,
  fn: DeployedFunction,
  options: { tableName: string; endpoints: Endpoints },
): Record<string, string> {
  const fromTemplate = Object.fromEntries(
    Object.entries(fn.environment).map(([name, value]) => [
      name,
      resolveValue(stack, options.tableName, value),
    ]),
  );
  const name = physicalName(fn.logicalId);
  return {
    // What the Node.js runtime sets in every execution environment.
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    _HANDLER: fn.handler,
    LAMBDA_TASK_ROOT: fn.codeDir,
    AWS_EXECUTION_ENV: `AWS_Lambda_${fn.runtime}`,
    AWS_REGION: REGION,
    AWS_DEFAULT_REGION: REGION,
    AWS_LAMBDA_FUNCTION_NAME: name,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memorySize),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${name}`,
    AWS_LAMBDA_LOG_STREAM_NAME: '2026/12/02/[$LATEST]bundletest',
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    ...SESSION,
    // No metadata probes, ever (they are slow here and leave the machine); the real runtime has none to make either.
    AWS_EC2_METADATA_DISABLED: 'true',
    // The only difference from AWS: where the bundled SDK sends its requests.
    AWS_ENDPOINT_URL_DYNAMODB: options.endpoints.dynamodb,
    ...(options.endpoints.aws
      ? { AWS_ENDPOINT_URL_LAMBDA: options.endpoints.aws, AWS_ENDPOINT_URL_SCHEDULER: options.endpoints.aws }
      : {}),
    ...fromTemplate,
  };
}
