/**
 * docs/sqs.md's deployed snippets, run as they stand (the endpoint pointed at a local gateway that
 * checks each SigV4 signature for execute-api, as API Gateway's IAM authorizer does): both clients
 * sign for execute-api with the documented setting, and an SQS client left as it is (signing for
 * sqs) is refused. The bundled api function behind API Gateway events is test/bundles/api.test.ts.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../functions/api/app';
import { repoRoot } from '../e2e/local-server-process';
import { manualClock, testEngine } from '../support/engine';
import { DEPLOYED_ACCOUNT, type IamGateway, startIamGateway } from './iam-gateway';
import { sqsQueueName } from './support';

const run = promisify(execFile);
const DOC_ENDPOINT = 'https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com';
const credentials = { accessKeyId: 'AKIDPOSTBOXTEST', secretAccessKey: 'postbox-test-secret' };
const env = {
  ...process.env,
  AWS_ACCESS_KEY_ID: credentials.accessKeyId,
  AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
  AWS_EC2_METADATA_DISABLED: 'true',
  PYTHONPATH: '',
};

let gateway: IamGateway;
beforeAll(async () => {
  const { engine } = await testEngine(manualClock(Date.now()));
  gateway = await startIamGateway(createApp({ engine }).fetch, credentials);
});
afterAll(async () => gateway?.close());

function docSnippet(name: string): string {
  const doc = readFileSync(join(repoRoot, 'docs', 'sqs.md'), 'utf8');
  const code = new RegExp(`<!-- snippet: ${name} -->\\n\`\`\`\\w+\\n([\\s\\S]*?)^\`\`\``, 'm').exec(doc)?.[1];
  if (!code) throw new Error(`no snippet ${name} in docs/sqs.md`);
  return code;
}

/** The snippet on the gateway and a queue of its own; otherwise unchanged. */
const adapted = (code: string, queue: string) =>
  code.replaceAll(DOC_ENDPOINT, gateway.url).replaceAll('sqs-orders', queue);

/** An SDK client signing for execute-api as documented. */
const executeApiClient = (secretAccessKey = credentials.secretAccessKey) =>
  new SQSClient({
    endpoint: gateway.url,
    region: 'us-east-1',
    credentials: { ...credentials, secretAccessKey },
    maxAttempts: 1,
    httpAuthSchemeProvider: ({ region }) => [
      {
        schemeId: 'aws.auth#sigv4',
        signingProperties: { signingName: 'execute-api', region },
        propertiesExtractor: (config, context) => ({ signingProperties: { config, context } }),
      },
    ],
  });

/** A queue made through the gateway, signed for execute-api. */
async function deployedQueue(): Promise<string> {
  const name = sqsQueueName('deployed');
  const sqs = executeApiClient();
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
  expect(QueueUrl).toBe(`${gateway.url}/${DEPLOYED_ACCOUNT}/${name}`);
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  expect(Attributes?.QueueArn).toBe(`arn:aws:sqs:us-east-1:${DEPLOYED_ACCOUNT}:${name}`);
  sqs.destroy();
  return name;
}

describe('signing for the deployed SQS endpoint (docs/sqs.md)', () => {
  it('refuses an SQS client left as it is: it signs for sqs, API Gateway wants execute-api', async () => {
    const sqs = new SQSClient({ endpoint: gateway.url, region: 'us-east-1', credentials, maxAttempts: 1 });
    const error = await sqs
      .send(new CreateQueueCommand({ QueueName: sqsQueueName('deployed') }))
      .catch((e) => e);
    expect(error.$metadata?.httpStatusCode).toBe(403);
    expect(gateway.scopes.at(-1)).toBe('us-east-1/sqs');
    sqs.destroy();
    // The check is a real one: signed for execute-api with the wrong secret, refused too.
    const forged = executeApiClient('not-the-secret');
    const refused = await forged
      .send(new CreateQueueCommand({ QueueName: sqsQueueName('deployed') }))
      .catch((e) => e);
    expect(refused.$metadata?.httpStatusCode).toBe(403);
    expect(gateway.scopes.at(-1)).toBe('us-east-1/execute-api');
    forged.destroy();
  });

  it('runs the SDK v3 snippet, signed for execute-api', async () => {
    const queue = await deployedQueue();
    const before = gateway.scopes.length;
    const cache = join(repoRoot, 'node_modules', '.cache');
    mkdirSync(cache, { recursive: true });
    const file = join(cache, `deployed-sqs-${process.pid}.mts`);
    writeFileSync(
      file,
      adapted(docSnippet('sqs-deployed-sdk'), queue).replace(`/123456789012/`, `/${DEPLOYED_ACCOUNT}/`),
    );
    try {
      const { stdout } = await run(process.execPath, ['--import', 'tsx', file], {
        cwd: repoRoot,
        env,
        timeout: 60_000,
      });
      expect(stdout).toBe('order 42\n');
    } finally {
      rmSync(file, { force: true });
    }
    expect(gateway.scopes.slice(before)).toEqual(['us-east-1/execute-api', 'us-east-1/execute-api']);
  });

  it('runs the boto3 snippet, signed for execute-api', async () => {
    const queue = await deployedQueue();
    const before = gateway.scopes.length;
    const { stdout } = await run(
      '/usr/bin/python3',
      ['-c', adapted(docSnippet('sqs-deployed-boto3'), queue)],
      {
        env,
        timeout: 60_000,
      },
    );
    expect(stdout).toBe('order 42\n');
    expect(gateway.scopes.slice(before)).toEqual(['us-east-1/execute-api', 'us-east-1/execute-api']);
  });
});
