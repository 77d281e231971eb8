/**
 * Template assertions for the CDK app. Each configuration is synthesized once (beforeAll);
 * only the default one bundles the api function, because bundling takes seconds.
 */

import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TABLE, tableDefinition } from '../../functions/core/table';
import { Postbox } from '../../infra/constructs/postbox';
import { ENGINE_ACTIONS } from '../../infra/constructs/table';
import { PostboxStack } from '../../infra/postbox-stack';

const outdirs: string[] = [];

/** A fresh App writing to its own temporary directory; `bundle: false` skips esbuild. */
function newApp(bundle: boolean): App {
  const outdir = mkdtempSync(join(tmpdir(), 'postbox-cdk-'));
  outdirs.push(outdir);
  return new App({ outdir, context: bundle ? {} : { 'aws:cdk:bundling-stacks': [] } });
}

afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

// biome-ignore lint/suspicious/noExplicitAny: template JSON, read by shape in each assertion
type Properties = Record<string, any>;
type Resource = {
  Type: string;
  Properties: Properties;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
};
type Statement = { Action: string | string[]; Resource: unknown; Effect: string };

function only(template: Template, type: string): [string, Resource] {
  const entries = Object.entries(template.findResources(type));
  expect(entries).toHaveLength(1);
  return entries[0] as [string, Resource];
}

function statements(template: Template): Statement[] {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
    (policy) => (policy as Resource).Properties.PolicyDocument.Statement as Statement[],
  );
}

const actionsOf = (statement: Statement) => [statement.Action].flat();

describe('PostboxStack with defaults', () => {
  let template: Template;
  let outdir: string;
  let tableId: string;
  let table: Resource;

  beforeAll(() => {
    const app = newApp(true);
    outdir = app.outdir;
    template = Template.fromStack(new PostboxStack(app, 'PostboxStack'));
    [tableId, table] = only(template, 'AWS::DynamoDB::Table');
  }, 120_000);

  describe('table', () => {
    it('has the string keys of functions/core/table.ts', () => {
      expect(table.Properties.KeySchema).toEqual([
        { AttributeName: TABLE.partitionKey, KeyType: 'HASH' },
        { AttributeName: TABLE.sortKey, KeyType: 'RANGE' },
      ]);
      expect(table.Properties.AttributeDefinitions).toEqual(
        expect.arrayContaining([
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ]),
      );
    });

    it('has exactly the indexes of tableDefinition(), with the same keys and projection', () => {
      const expected = tableDefinition('x').GlobalSecondaryIndexes ?? [];
      expect(expected.length).toBeGreaterThan(0);
      const actual = table.Properties.GlobalSecondaryIndexes as Record<string, unknown>[];
      expect(
        actual.map(({ IndexName, KeySchema, Projection }) => ({ IndexName, KeySchema, Projection })),
      ).toEqual(
        expected.map(({ IndexName, KeySchema, Projection }) => ({ IndexName, KeySchema, Projection })),
      );
      expect(table.Properties.AttributeDefinitions).toEqual(
        expect.arrayContaining(tableDefinition('x').AttributeDefinitions ?? []),
      );
    });

    it('is on-demand, recoverable, encrypted with an AWS-owned key, with TTL and a stream', () => {
      expect(table.Properties).toMatchObject({
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: false },
        TimeToLiveSpecification: { AttributeName: TABLE.ttlAttribute, Enabled: true },
        StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
      });
    });

    it('is retained and deletion-protected', () => {
      expect(table.DeletionPolicy).toBe('Retain');
      expect(table.UpdateReplacePolicy).toBe('Retain');
      expect(table.Properties.DeletionProtectionEnabled).toBe(true);
    });
  });

  describe('api function', () => {
    it('runs functions/api/lambda.ts on Node.js 22, arm64, with the table name', () => {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        MemorySize: 512,
        Timeout: 30,
        Environment: {
          Variables: { POSTBOX_TABLE: { Ref: tableId }, NODE_OPTIONS: '--enable-source-maps' },
        },
      });
    });

    it('is bundled by the local esbuild, minified, with a source map', () => {
      const assets = readdirSync(outdir).filter((name) => name.startsWith('asset.'));
      const bundles = assets.filter((name) => existsSync(join(outdir, name, 'index.js')));
      expect(bundles).toHaveLength(1);
      expect(existsSync(join(outdir, bundles[0] as string, 'index.js.map'))).toBe(true);
    });

    it('logs to its own log group with a retention period', () => {
      const [, fn] = only(template, 'AWS::Lambda::Function');
      const groupId = fn.Properties.LoggingConfig.LogGroup.Ref as string;
      const group = template.findResources('AWS::Logs::LogGroup')[groupId] as Resource;
      expect(group.Properties.RetentionInDays).toBe(30);
    });
  });

  describe('HTTP API', () => {
    it('sends every request to the function, on IAM-authorized routes only', () => {
      const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')) as Resource[];
      expect(routes.map((route) => route.Properties.RouteKey).sort()).toEqual(['ANY /', 'ANY /{proxy+}']);
      for (const route of routes) expect(route.Properties.AuthorizationType).toBe('AWS_IAM');
      template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
        IntegrationType: 'AWS_PROXY',
        PayloadFormatVersion: '2.0',
      });
    });

    it('has a throttled, access-logged default stage', () => {
      const [, stage] = only(template, 'AWS::ApiGatewayV2::Stage');
      expect(stage.Properties).toMatchObject({
        StageName: '$default',
        AutoDeploy: true,
        DefaultRouteSettings: { ThrottlingRateLimit: 1000, ThrottlingBurstLimit: 2000 },
        AccessLogSettings: { DestinationArn: { 'Fn::GetAtt': [expect.any(String), 'Arn'] } },
      });
      const format = JSON.parse(stage.Properties.AccessLogSettings.Format);
      expect(format).toMatchObject({ requestId: '$context.requestId', status: '$context.status' });
      expect(JSON.stringify(format)).not.toMatch(/body/i);
    });
  });

  describe('IAM', () => {
    it('grants only the engine actions, scoped to the table and its indexes', () => {
      const dynamo = statements(template).filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
      expect(dynamo).toHaveLength(1);
      const [statement] = dynamo as [Statement];
      expect(actionsOf(statement).sort()).toEqual([...ENGINE_ACTIONS].sort());
      expect(statement.Resource).toEqual([
        { 'Fn::GetAtt': [tableId, 'Arn'] },
        { 'Fn::Join': ['', [{ 'Fn::GetAtt': [tableId, 'Arn'] }, '/index/*']] },
      ]);
    });

    it('has no wildcard action and no managed policy', () => {
      for (const statement of statements(template)) {
        for (const action of actionsOf(statement))
          expect(action).not.toMatch(/^\*$|^[a-z0-9-]+:\*$|^dynamodb:.*\*/);
      }
      template.hasResourceProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent() });
    });

    it('lets the function write to its own log group only', () => {
      const [, fn] = only(template, 'AWS::Lambda::Function');
      const logs = statements(template).filter((s) => actionsOf(s).some((a) => a.startsWith('logs:')));
      expect(logs).toHaveLength(1);
      expect(JSON.stringify(logs[0]?.Resource)).toContain(fn.Properties.LoggingConfig.LogGroup.Ref);
    });
  });

  it('outputs the API URL and the table name', () => {
    template.hasOutput('ApiUrl', {});
    template.hasOutput('TableName', { Value: { Ref: tableId } });
  });
});

describe('Postbox for a dev stack with a customer-managed key', () => {
  let template: Template;
  let stack: Stack;
  let tableId: string;
  let table: Resource;

  beforeAll(() => {
    stack = new Stack(newApp(false), 'Dev');
    const encryptionKey = new kms.Key(stack, 'Key', { enableKeyRotation: true });
    const postbox = new Postbox(stack, 'Postbox', {
      removalPolicy: RemovalPolicy.DESTROY,
      tableProps: { encryptionKey },
      apiProps: { throttlingRateLimit: 50, throttlingBurstLimit: 100 },
    });
    const worker = new iam.Role(stack, 'Worker', { assumedBy: new iam.AccountRootPrincipal() });
    postbox.grantQueueAccess(worker, 'orders');
    template = Template.fromStack(stack);
    [tableId, table] = only(template, 'AWS::DynamoDB::Table');
  });

  it('destroys the table and the log groups with the stack', () => {
    expect(table.DeletionPolicy).toBe('Delete');
    expect(table.Properties.DeletionProtectionEnabled).toBe(false);
    for (const group of Object.values(template.findResources('AWS::Logs::LogGroup'))) {
      expect((group as Resource).DeletionPolicy).toBe('Delete');
    }
  });

  it('encrypts the table with the key and lets the function use it', () => {
    const keyId = only(template, 'AWS::KMS::Key')[0];
    expect(table.Properties.SSESpecification).toEqual({
      SSEEnabled: true,
      SSEType: 'KMS',
      KMSMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
    });
    const kmsStatements = statements(template).filter((s) => actionsOf(s).some((a) => a.startsWith('kms:')));
    expect(kmsStatements).toHaveLength(1);
    expect(kmsStatements[0]?.Resource).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
    expect(JSON.stringify(statements(template))).toContain(`"${tableId}"`);
  });

  it('applies the throttling props', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
    });
  });

  it('grants one queue its own routes and nothing wider', () => {
    const invoke = statements(template).filter((s) => actionsOf(s).includes('execute-api:Invoke'));
    expect(invoke).toHaveLength(1);
    const arns = JSON.stringify(invoke[0]?.Resource);
    expect(arns).toContain('/v1/queues/orders"');
    expect(arns).toContain('/v1/queues/orders/*"');
    expect(arns).not.toContain('orders*');
  });

  it('refuses a queue name that could widen the grant', () => {
    const postbox = stack.node.findChild('Postbox') as Postbox;
    const role = new iam.Role(stack, 'Other', { assumedBy: new iam.AccountRootPrincipal() });
    expect(() => postbox.grantQueueAccess(role, 'orders*')).toThrow(/invalid queue name/);
  });
});

describe('Postbox props', () => {
  it('reports every conflict in one error', () => {
    const stack = new Stack(newApp(false), 'Bad');
    const make = () =>
      new Postbox(stack, 'Postbox', {
        removalPolicy: RemovalPolicy.DESTROY,
        tableProps: { deletionProtection: true },
        apiProps: { timeout: Duration.seconds(60), memorySize: 64, throttlingBurstLimit: 0 },
      });
    expect(make).toThrow(/deletionProtection.*memorySize.*timeout.*throttlingBurstLimit/s);
    expect(stack.node.findAll().some((c) => c.node.id === 'Table')).toBe(false);
  });
});
