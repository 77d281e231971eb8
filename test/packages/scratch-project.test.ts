/**
 * What a team outside this repository does (issue 12): `npm pack` the three packages, install the
 * tarballs into a new project in a temporary directory (aws-cdk-lib, constructs and aws-cdk from
 * the registry at the versions this repository pins), write the CDK app, consumer and script of
 * docs/getting-started.md, `cdk synth` it offline and read the template, then start
 * `npx postbox dev` there and publish, receive and ack through the installed client and CLI.
 *
 * The slowest test of the suite (npm installs aws-cdk-lib, DynamoDB Local starts): every step has
 * its own time limit, and the whole stays within a few minutes.
 */
import { createHash } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../e2e/local-server-process';
import {
  type DevServer,
  gettingStartedFiles,
  pinnedVersion,
  quietEnv,
  sh,
  startDev,
  waitFor,
} from './scratch-project';

const PACKAGES = ['client', 'cli', 'cdk'] as const;
const MINUTE = 60_000;

// biome-ignore lint/suspicious/noExplicitAny: template JSON, read by shape in each assertion
type Resource = { Type: string; Properties: Record<string, any>; Metadata?: Record<string, string> };

let work: string;
let project: string;
let outdir: string;
let tarballs: string[];
let started: number;
/** Started together once the project is installed: the synth and the server start overlap. */
let synthesized: Promise<void> | undefined;
let devServer: Promise<DevServer> | undefined;

const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(0)} s`;

beforeAll(async () => {
  started = Date.now();
  work = mkdtempSync(join(tmpdir(), 'postbox-scratch-'));
  project = join(work, 'orders-app');
  mkdirSync(project);
  expect(relative(repoRoot, project).startsWith('..')).toBe(true);

  // Build first (`npm pack` ships whatever dist/ holds), then pack as a publisher would.
  await Promise.all(
    PACKAGES.map((name) =>
      sh('npm', ['run', 'build'], { cwd: join(repoRoot, 'packages', name), timeoutMs: 3 * MINUTE }),
    ),
  );
  tarballs = [];
  for (const name of PACKAGES) {
    const packed = await sh('npm', ['pack', '--silent', '--pack-destination', work], {
      cwd: join(repoRoot, 'packages', name),
      timeoutMs: MINUTE,
    });
    tarballs.push(join(work, packed.trim().split('\n').pop() as string));
  }

  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'orders-app', private: true }, null, 2),
  );
  for (const [file, content] of gettingStartedFiles()) {
    mkdirSync(dirname(join(project, file)), { recursive: true });
    writeFileSync(join(project, file), content);
  }
  const fromRegistry = ['aws-cdk-lib', 'constructs', 'aws-cdk', 'tsx'].map(
    (name) => `${name}@${pinnedVersion(name)}`,
  );
  await sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', ...tarballs, ...fromRegistry], {
    cwd: project,
    timeoutMs: 4 * MINUTE,
  });
  console.log(`scratch project: packages built, packed and installed in ${seconds(started)}`);

  outdir = join(project, 'cdk.out');
  const synthStart = Date.now();
  synthesized = sh('npx', ['--no-install', 'cdk', 'synth', '--no-notices', '--quiet', '--output', outdir], {
    cwd: project,
    timeoutMs: 3 * MINUTE,
  }).then(() => console.log(`scratch project: cdk synth took ${seconds(synthStart)}`));
  // The command the guide shows, on a free port, with the guide's consumer.
  const devStart = Date.now();
  devServer = startDev(
    project,
    ['--in-memory', '--port', '0', '--consumer', 'orders=./consumers/orders.js#handler?batchSize=5'],
    3 * MINUTE,
  ).then((dev) => {
    console.log(`scratch project: postbox dev ready in ${seconds(devStart)}`);
    return dev;
  });
  // Awaited by the tests that need them; a failure is reported there, not as an unhandled rejection.
  synthesized.catch(() => undefined);
  devServer.catch(() => undefined);
}, 8 * MINUTE);

afterAll(async () => {
  await synthesized?.catch(() => undefined);
  await (await devServer?.catch(() => undefined))?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
  if (started) console.log(`scratch-project test: ${seconds(started)} in all`);
}, 2 * MINUTE);

describe('the packages, installed from their tarballs into a project outside the repository', () => {
  it('are installed as copies, and nothing in the project names a path inside the repository', async () => {
    const files = gettingStartedFiles();
    expect([...files.keys()].sort()).toEqual([
      'bin/app.ts',
      'cdk.json',
      'consumers/orders.js',
      'scripts/try-local.mjs',
    ]);
    for (const name of PACKAGES) {
      const installed = join(project, 'node_modules', '@postbox', name);
      expect(lstatSync(installed).isSymbolicLink()).toBe(false);
    }
    const own = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    for (const spec of Object.values(own.dependencies)) expect(spec).not.toContain(repoRoot);
    // The project's own files and every file the Postbox packages installed (grep exits 1 for none).
    const found = await sh(
      'grep',
      ['-rlF', repoRoot, '--exclude-dir=node_modules', '.', 'node_modules/@postbox'],
      {
        cwd: project,
        timeoutMs: MINUTE,
      },
    ).catch(() => '');
    expect(found.split('\n').filter(Boolean)).toEqual([]);
  });

  it('ships no tests, no test source maps and no TypeScript sources', async () => {
    for (const tarball of tarballs) {
      const listing = await sh('tar', ['-tzf', tarball], { cwd: work, timeoutMs: MINUTE });
      const entries = listing.trim().split('\n');
      expect(entries).toContain('package/README.md');
      expect(entries.filter((entry) => /test|\.ts$|\.tsx$/.test(entry) && !entry.endsWith('.d.ts'))).toEqual(
        [],
      );
    }
  });

  it('documents every construct prop as readonly, and every optional one with its @default', () => {
    const types = join(project, 'node_modules/@postbox/cdk/dist/types');
    const files = ['infra/constructs', 'functions/dispatcher'].flatMap((dir) =>
      readdirSync(join(types, dir)).map((name) => join(types, dir, name)),
    );
    const problems: string[] = [];
    let checked = 0;
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      for (const [, name, body] of text.matchAll(
        /export interface (\w+(?:Props|Options))\b[^{]*\{([\s\S]*?)\n\}/g,
      )) {
        // Each property with the doc comment just above it.
        for (const [, doc, readonly, prop, optional] of (body as string).matchAll(
          /((?:\s*\/\*\*[\s\S]*?\*\/)?)\s*(readonly )?(\w+)(\?)?:/g,
        )) {
          checked++;
          if (!readonly) problems.push(`${name}.${prop} is not readonly`);
          if (optional && !doc?.includes('@default')) problems.push(`${name}.${prop} has no @default`);
        }
      }
    }
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThan(20);
  });

  it(
    "type-checks the guide's app and a client user against the shipped declarations",
    async () => {
      // A user's own use of the types, ESM; `@ts-expect-error` fails the check if the types were `any`.
      writeFileSync(
        join(project, 'types-check.mts'),
        [
          "import { type DeliveredMessage, PostboxClient, PostboxError, type Queue } from '@postbox/client';",
          "const client = new PostboxClient({ url: 'http://127.0.0.1:3000' });",
          "const queue: Queue = await client.createQueue('orders', { visibilityTimeoutSeconds: 30 });",
          "const [message] = await client.receive<{ orderId: number }>('orders', { waitSeconds: 1 });",
          'const orderId: number | undefined = message?.body.orderId;',
          '// @ts-expect-error: not a publish option',
          "await client.publish('orders', 1, { priorty: 5 });",
          'console.log(queue.order, orderId, PostboxError, (m: DeliveredMessage) => m.receipt);',
          '',
        ].join('\n'),
      );
      const compilerOptions = {
        target: 'ES2022',
        module: 'nodenext',
        moduleResolution: 'nodenext',
        strict: true,
        skipLibCheck: true,
        noEmit: true,
        types: [],
      };
      writeFileSync(
        join(project, 'tsconfig.json'),
        JSON.stringify({ compilerOptions, files: ['bin/app.ts', 'types-check.mts'] }, null, 2),
      );
      // This repository's compiler (the project installs none); it reads only the project's files.
      await sh(join(repoRoot, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.json'], {
        cwd: project,
        timeoutMs: 2 * MINUTE,
      });
    },
    3 * MINUTE,
  );

  describe('cdk synth of the getting-started app, offline', () => {
    let resources: [string, Resource][];

    beforeAll(async () => {
      await synthesized;
      const template = JSON.parse(readFileSync(join(outdir, 'OrdersStack.template.json'), 'utf8')) as {
        Resources: Record<string, Resource>;
      };
      resources = Object.entries(template.Resources);
    }, 4 * MINUTE);

    it('stages every asset from the project, none from the repository', async () => {
      const found = await sh('grep', ['-rlF', repoRoot, outdir], { cwd: project, timeoutMs: MINUTE }).catch(
        () => '',
      );
      expect(found.split('\n').filter(Boolean)).toEqual([]);
    });

    const ofType = (type: string) => resources.filter(([, resource]) => resource.Type === type);

    it('has the Postbox table with its stream', () => {
      const tables = ofType('AWS::DynamoDB::Table');
      expect(tables).toHaveLength(1);
      expect(tables[0]?.[1].Properties).toMatchObject({
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
        BillingMode: 'PAY_PER_REQUEST',
      });
    });

    it('runs the api and dispatcher from the bundles the package ships (no esbuild ran)', () => {
      const postboxFunctions = ofType('AWS::Lambda::Function').filter(
        ([, fn]) => fn.Properties.Handler === 'index.handler',
      );
      expect(postboxFunctions).toHaveLength(2);
      const shipped = ['api', 'dispatcher'].map((name) =>
        sha256(join(project, 'node_modules/@postbox/cdk/dist/lambda', name, 'index.js')),
      );
      const staged = postboxFunctions.map(([, fn]) => {
        expect(fn.Properties.Runtime).toBe('nodejs22.x');
        const assetPath = fn.Metadata?.['aws:asset:path'] as string;
        return sha256(join(outdir, assetPath, 'index.js'));
      });
      expect(staged.sort()).toEqual(shipped.sort());
    });

    it('routes every request of the IAM-authorized HTTP API to the api function', () => {
      const routes = ofType('AWS::ApiGatewayV2::Route').map(([, route]) => route.Properties);
      expect(routes.map((route) => route.RouteKey).sort()).toEqual(['ANY /', 'ANY /{proxy+}']);
      for (const route of routes) expect(route.AuthorizationType).toBe('AWS_IAM');
    });

    it('wires the consumer: the dispatcher knows it, may invoke it, and is fed by the stream', () => {
      const [consumerId, consumer] = ofType('AWS::Lambda::Function').find(
        ([, fn]) => fn.Properties.Handler === 'orders.handler',
      ) ?? ['', undefined];
      expect(consumer?.Properties.Runtime).toBe('nodejs22.x');
      const [dispatcherId, dispatcher] = ofType('AWS::Lambda::Function').find(
        ([, fn]) => fn.Properties.Environment?.Variables?.POSTBOX_CONSUMERS !== undefined,
      ) ?? ['', undefined];
      const consumers = JSON.stringify(dispatcher?.Properties.Environment.Variables.POSTBOX_CONSUMERS);
      expect(consumers).toContain('\\"queue\\":\\"orders\\"');
      expect(consumers).toContain('\\"batchSize\\":5');
      expect(consumers).toContain('\\"visibilityTimeoutSeconds\\":60');
      expect(consumers).toContain(consumerId);

      const invokes = ofType('AWS::IAM::Policy').flatMap(([, policy]) =>
        (policy.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[])
          .filter((statement) => [statement.Action].flat().includes('lambda:InvokeFunction'))
          .map((statement) => statement.Resource),
      );
      expect(invokes).toContainEqual({ 'Fn::GetAtt': [consumerId, 'Arn'] });

      const [tableId] = ofType('AWS::DynamoDB::Table')[0] ?? [''];
      const mappings = ofType('AWS::Lambda::EventSourceMapping').map(([, mapping]) => mapping.Properties);
      expect(mappings).toEqual([
        expect.objectContaining({
          FunctionName: { Ref: dispatcherId },
          EventSourceArn: { 'Fn::GetAtt': [tableId, 'StreamArn'] },
        }),
      ]);
    });
  });

  describe('npx postbox dev, with the installed client and CLI', () => {
    let dev: DevServer | undefined;

    beforeAll(async () => {
      dev = await devServer;
    }, 4 * MINUTE);

    // The installed bin itself (what `npx postbox` runs), without npx's second or two per call.
    const cli = (args: string[]) =>
      sh(
        process.execPath,
        [join(project, 'node_modules/.bin/postbox'), '--url', dev?.url ?? '', '--json', ...args],
        { cwd: project, timeoutMs: MINUTE },
      );

    it(
      'publishes, receives and acks through the installed client, as ESM and as CommonJS',
      async () => {
        const esm = await sh('node', ['scripts/try-local.mjs'], {
          cwd: project,
          timeoutMs: MINUTE,
          env: { ...quietEnv, POSTBOX_URL: dev?.url },
        });
        const result = JSON.parse(esm.trim().split('\n').pop() as string);
        expect(result).toEqual({
          published: expect.any(String),
          received: result.published,
          body: { orderId: 42 },
        });

        const script = [
          "const { PostboxClient } = require('@postbox/client');",
          `const client = new PostboxClient({ url: ${JSON.stringify(dev?.url)} });`,
          "client.getQueue('try-local').then((queue) => console.log(JSON.stringify(queue.counts)));",
        ].join('\n');
        const counts = JSON.parse(await sh('node', ['-e', script], { cwd: project, timeoutMs: MINUTE }));
        expect(counts).toMatchObject({ ready: 0, inFlight: 0, total: 0 });
      },
      2 * MINUTE,
    );

    it(
      'publishes, receives and acks through the installed CLI',
      async () => {
        await cli(['queues', 'create', 'cli-orders']);
        const published = JSON.parse(await cli(['publish', 'cli-orders', '{"orderId": 7}']));
        const received = JSON.parse(await cli(['receive', 'cli-orders', '--wait', '5']));
        expect(received.messages).toHaveLength(1);
        expect(received.messages[0]).toMatchObject({ id: published.id, body: { orderId: 7 } });
        expect(JSON.parse(await cli(['ack', 'cli-orders', received.messages[0].receipt]))).toEqual({
          acked: 1,
        });
        const queue = JSON.parse(await cli(['queues', 'get', 'cli-orders']));
        expect(queue.counts).toMatchObject({ ready: 0, inFlight: 0, total: 0 });
      },
      2 * MINUTE,
    );

    it('serves the web console the CLI package ships', async () => {
      expect(dev?.output()).toContain(`Web console: ${dev?.url}/ui/`);
      const page = await fetch(`${dev?.url}/ui/`, { signal: AbortSignal.timeout(10_000) });
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<script');
    });

    it(
      'runs the shipped api bundle as Lambda would, on the same store',
      async () => {
        const dynamoPort = /DynamoDB Local on port (\d+)/.exec(dev?.output() ?? '')?.[1];
        await cli(['queues', 'create', 'from-lambda']);
        const bundle = join(project, 'node_modules/@postbox/cdk/dist/lambda/api/index.js');
        const path = '/v1/queues/from-lambda/messages';
        const event = {
          version: '2.0',
          routeKey: '$default',
          rawPath: path,
          rawQueryString: '',
          headers: { 'content-type': 'application/json', host: 'api.example' },
          body: JSON.stringify({ body: { orderId: 9 } }),
          isBase64Encoded: false,
          requestContext: {
            http: { method: 'POST', path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
            requestId: 'r1',
            routeKey: '$default',
            stage: '$default',
            domainName: 'api.example',
          },
        };
        const invoke = `require(${JSON.stringify(bundle)}).handler(${JSON.stringify(event)}, {})`;
        const output = await sh(
          process.execPath,
          ['-e', `${invoke}.then((a) => console.log(JSON.stringify(a)))`],
          {
            cwd: project,
            timeoutMs: MINUTE,
            // The local server's table, in its DynamoDB Local, with its fixed dummy credentials.
            env: {
              ...quietEnv,
              POSTBOX_TABLE: 'postbox',
              AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${dynamoPort}`,
            },
          },
        );
        const answer = JSON.parse(output.trim().split('\n').pop() as string);
        expect(answer.statusCode).toBe(201);
        const received = JSON.parse(await cli(['receive', 'from-lambda', '--wait', '5']));
        expect(received.messages[0]).toMatchObject({ id: JSON.parse(answer.body).id, body: { orderId: 9 } });
      },
      2 * MINUTE,
    );

    it(
      "runs the guide's consumer on what is published to orders",
      async () => {
        await cli(['queues', 'create', 'orders']);
        await cli(['publish', 'orders', '{"orderId": 42}']);
        await waitFor(() => (dev?.output() ?? '').includes('order 42, delivery 1'), MINUTE, 'the consumer');
      },
      2 * MINUTE,
    );
  });
});

function sha256(file: string): string {
  expect(existsSync(file)).toBe(true);
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}
