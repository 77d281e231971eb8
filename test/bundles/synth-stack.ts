/**
 * Synthesizes the Postbox stack (infra/postbox-stack.ts) with one consumer, bundling ON (the local
 * esbuild, never Docker, which cannot run here), and reads from the assembly what the
 * tests run: each function's asset folder (Code.S3Key → the asset manifest → `asset.<hash>/`),
 * handler and environment, and the settings of the stage, routes, sweep rule and stream mapping.
 * Nothing here runs the functions' sources: what the tests load is what would be uploaded.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, type CfnElement, Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { PostboxStack } from '../../infra/postbox-stack';
import {
  CONSUMED_QUEUE,
  CONSUMER_OPTIONS,
  type DeployedFunction,
  type DeployedStack,
  type Resource,
  STACK_NAME,
} from './deployed-stack';

export function synthesizeStack(outdir: string): DeployedStack {
  // The default context bundles every stack (test/infra turns that off; this must not). The
  // template's own CloudFormation validation is test/infra's business: it would add a third to the time.
  const app = new App({ outdir, builtinCloudFormationValidation: false });
  const stack = new PostboxStack(app, STACK_NAME);
  const worker = new lambda.Function(stack, 'OrdersWorker', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({ batchItemFailures: [] });'),
    timeout: Duration.seconds(30),
  });
  stack.postbox.addConsumer({ queue: CONSUMED_QUEUE, handler: worker, ...CONSUMER_OPTIONS });
  const assembly = app.synth();
  const artifact = assembly.getStackByName(STACK_NAME);
  const resources = artifact.template.Resources as Record<string, Resource>;
  const assets = JSON.parse(readFileSync(join(outdir, `${STACK_NAME}.assets.json`), 'utf8')) as {
    files: Record<string, { source: { path: string; packaging: string } }>;
  };

  const idOf = (element: unknown) => stack.getLogicalId(element as CfnElement);
  const deployed = (logicalId: string): DeployedFunction => {
    const { Properties } = resources[logicalId] as Resource;
    const hash = /^([0-9a-f]{64})\.zip$/.exec(Properties.Code.S3Key)?.[1];
    const source = hash ? assets.files[hash]?.source : undefined;
    if (source?.packaging !== 'zip') throw new Error(`${logicalId}: no zip asset for its code`);
    const codeDir = join(outdir, source.path);
    const file = `${String(Properties.Handler).split('.')[0]}.js`;
    if (!existsSync(join(codeDir, file))) throw new Error(`${logicalId}: ${file} is missing in ${codeDir}`);
    return {
      logicalId,
      handler: Properties.Handler,
      runtime: Properties.Runtime,
      timeoutSeconds: Properties.Timeout,
      memorySize: Properties.MemorySize,
      codeDir,
      environment: Properties.Environment?.Variables ?? {},
    };
  };

  const ofType = (type: string) => Object.values(resources).filter((resource) => resource.Type === type);
  const [stage] = ofType('AWS::ApiGatewayV2::Stage');
  const [rule] = ofType('AWS::Events::Rule');
  const [mapping] = ofType('AWS::Lambda::EventSourceMapping');
  if (!stage || !rule || !mapping) throw new Error('the stack lacks its stage, sweep rule or stream mapping');
  return {
    outdir,
    resources,
    api: deployed(idOf(stack.postbox.apiFunction.node.defaultChild)),
    dispatcher: deployed(idOf(stack.postbox.dispatcher.dispatcherFunction.node.defaultChild)),
    consumer: { logicalId: idOf(worker.node.defaultChild) },
    tableLogicalId: idOf(stack.postbox.table.node.defaultChild),
    stageName: stage.Properties.StageName,
    routeKeys: ofType('AWS::ApiGatewayV2::Route').map((route) => route.Properties.RouteKey),
    sweepInput: rule.Properties.Targets[0].Input,
    streamMapping: {
      filterPatterns: mapping.Properties.FilterCriteria.Filters.map((filter: { Pattern: string }) =>
        JSON.parse(filter.Pattern),
      ),
      batchSize: mapping.Properties.BatchSize,
    },
  };
}
