/**
 * The deployable app as a user runs it: `npx cdk synth --no-notices` offline (timed; the one synth
 * that bundles the functions with esbuild, and runs cdk-nag through the app), then template
 * assertions on its output.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TABLE, tableDefinition } from '../../functions/core/table';
import { ENGINE_ACTIONS } from '../../infra/constructs/table';
import {
  actionsOf,
  functionWithTimeout,
  only,
  type Resource,
  removeTempDirs,
  resources,
  statements,
  tempDir,
} from './support';

const repoRoot = resolve(__dirname, '..', '..');
afterAll(removeTempDirs);

describe('npx cdk synth (offline, from the repository)', () => {
  let template: Template;
  let outdir: string;
  let tableId: string;
  let table: Resource;
  let seconds: number;

  beforeAll(() => {
    outdir = tempDir('postbox-synth-');
    const started = performance.now();
    const result = spawnSync('npx', ['cdk', 'synth', '--no-notices', '--quiet', '--output', outdir], {
      cwd: repoRoot,
      encoding: 'utf8',
      env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true' },
      timeout: 280_000,
    });
    seconds = (performance.now() - started) / 1000;
    console.log(`npx cdk synth --no-notices took ${seconds.toFixed(1)} s`);
    if (result.status !== 0)
      throw new Error(`cdk synth failed (${result.status}):\n${result.stderr}\n${result.stdout}`);
    template = Template.fromJSON(
      JSON.parse(readFileSync(join(outdir, 'PostboxStack.template.json'), 'utf8')),
    );
    [tableId, table] = only(template, 'AWS::DynamoDB::Table');
  }, 300_000);

  // Synth of a small stack takes about 5 s on a quiet machine here; the bound leaves room for a loaded CI run.
  it('synthesizes with zero unacknowledged cdk-nag findings, in reasonable time', () => {
    const report = join(outdir, 'policy-validation-report.json');
    if (existsSync(report)) expect(readFileSync(report, 'utf8')).not.toMatch(/"status":\s*"failure"/);
    expect(seconds).toBeLessThan(280);
  });

  describe('table', () => {
    it('has the string keys of functions/core/table.ts', () => {
      expect(table.Properties.KeySchema).toEqual([
        { AttributeName: TABLE.partitionKey, KeyType: 'HASH' },
        { AttributeName: TABLE.sortKey, KeyType: 'RANGE' },
      ]);
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

  describe('functions', () => {
    it('runs the api function on Node.js 22, arm64, with the table name', () => {
      const [, api] = functionWithTimeout(template, 30);
      expect(api.Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        MemorySize: 512,
        Environment: { Variables: { POSTBOX_TABLE: { Ref: tableId }, NODE_OPTIONS: '--enable-source-maps' } },
      });
    });

    it('runs the dispatcher on Node.js 22, arm64, with 15 minutes and its configuration', () => {
      const [, dispatcher] = functionWithTimeout(template, 900);
      expect(dispatcher.Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        Environment: {
          Variables: {
            POSTBOX_TABLE: { Ref: tableId },
            POSTBOX_CONSUMERS: '[]',
            POSTBOX_SCHEDULE_GROUP: expect.any(String),
            POSTBOX_SCHEDULER_ROLE_ARN: { 'Fn::GetAtt': [expect.any(String), 'Arn'] },
          },
        },
      });
    });

    it('bundles both with the local esbuild, minified, with source maps', () => {
      const bundles = readdirSync(outdir)
        .filter((name) => name.startsWith('asset.'))
        .filter((name) => existsSync(join(outdir, name, 'index.js')));
      expect(bundles).toHaveLength(2);
      for (const bundle of bundles) expect(existsSync(join(outdir, bundle, 'index.js.map'))).toBe(true);
    });

    it('gives every function its own log group with a retention period', () => {
      for (const [, fn] of resources(template, 'AWS::Lambda::Function')) {
        const group = template.findResources('AWS::Logs::LogGroup')[fn.Properties.LoggingConfig.LogGroup.Ref];
        expect((group as Resource).Properties.RetentionInDays).toBe(30);
      }
    });
  });

  describe('HTTP API', () => {
    it('sends every request to the function, on IAM-authorized routes only', () => {
      const routes = resources(template, 'AWS::ApiGatewayV2::Route').map(([, route]) => route);
      expect(routes.map((route) => route.Properties.RouteKey).sort()).toEqual(['ANY /', 'ANY /{proxy+}']);
      for (const route of routes) expect(route.Properties.AuthorizationType).toBe('AWS_IAM');
      template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
        IntegrationType: 'AWS_PROXY',
        PayloadFormatVersion: '2.0',
      });
    });

    it('has a throttled, access-logged default stage that logs no bodies', () => {
      const [, stage] = only(template, 'AWS::ApiGatewayV2::Stage');
      expect(stage.Properties).toMatchObject({
        StageName: '$default',
        AutoDeploy: true,
        DefaultRouteSettings: { ThrottlingRateLimit: 1000, ThrottlingBurstLimit: 2000 },
      });
      expect(stage.Properties.AccessLogSettings.Format).not.toMatch(/body/i);
    });
  });

  describe('IAM', () => {
    it('grants each function only the engine actions, on the table and its indexes', () => {
      const dynamo = statements(template).filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
      expect(dynamo).toHaveLength(2);
      for (const statement of dynamo) {
        expect(actionsOf(statement).sort()).toEqual([...ENGINE_ACTIONS].sort());
        expect(statement.Resource).toEqual([
          { 'Fn::GetAtt': [tableId, 'Arn'] },
          { 'Fn::Join': ['', [{ 'Fn::GetAtt': [tableId, 'Arn'] }, '/index/*']] },
        ]);
      }
    });

    it('has no wildcard action and no managed policy', () => {
      for (const statement of statements(template)) {
        for (const action of actionsOf(statement))
          expect(action).not.toMatch(/^\*$|^[a-z0-9-]+:\*$|^dynamodb:.*\*/);
      }
      template.hasResourceProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent() });
    });
  });

  it('runs the sweep every minute and watches both functions', () => {
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 minute)' });
    const alarms = resources(template, 'AWS::CloudWatch::Alarm').map(
      ([, alarm]) => alarm.Properties.MetricName,
    );
    expect(alarms.sort()).toEqual(['Errors', 'Errors', 'Throttles', 'Throttles']);
    only(template, 'AWS::CloudWatch::Dashboard');
  });

  it('serves recurring schedules from the one minute sweep: no per-schedule EventBridge resource', () => {
    // Schedules live in the table and fire in the sweep; wake-up schedules are made at run time,
    // in the dispatcher's group, and are never part of the template.
    template.resourceCountIs('AWS::Events::Rule', 1);
    template.resourceCountIs('AWS::Scheduler::Schedule', 0);
    template.resourceCountIs('AWS::Scheduler::ScheduleGroup', 1);
  });

  it('outputs the API URL and the table name', () => {
    template.hasOutput('ApiUrl', {});
    template.hasOutput('TableName', { Value: { Ref: tableId } });
  });
});
