/**
 * Every code snippet of README.md and docs/*.md is either run here or says why it cannot be.
 * A fenced block is preceded by `<!-- snippet: NAME -->` (run by the test of that name, as it
 * stands in the doc) or `<!-- not run: REASON -->` (needs AWS, runs until Ctrl-C, placeholders).
 * docs/getting-started.md's files (fenced with an info string such as `ts file=bin/app.ts`) are run by
 * test/packages/scratch-project.test.ts, in a project outside the repository.
 * The snippets run offline: the deploy guide's CDK app is synthesized with cdk-nag and the local
 * esbuild, the README's client and curl tour run against a local server on DynamoDB Local.
 *
 * The deploy guide's app imports `@postbox/cdk` as a user's app does. Here that is the workspace
 * package (node_modules/@postbox/cdk links to packages/cdk), run from its TypeScript source
 * through the `postbox-source` export condition. Its `default` export is dist/, which exists only
 * after a build: test/packages builds it (emptying dist/ first, while this file runs beside it, so
 * this file cannot use that build), packs it and runs docs/getting-started.md on the tarball.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConsumers } from '../../functions/local/consumer-config';
import { type LocalPostbox, startPostbox } from '../client/support';
import { repoRoot } from '../e2e/local-server-process';
import { gettingStartedFiles } from '../packages/scratch-project';

const run = promisify(execFile);

interface Snippet {
  doc: string;
  /** The `snippet:` name, or undefined for a block marked `not run` or a `file=` block. */
  name: string | undefined;
  /** `snippet`, `not run`, `file` (a getting-started file), or undefined when unmarked. */
  marker: string | undefined;
  language: string;
  code: string;
}

const docs = [
  'README.md',
  ...readdirSync(join(repoRoot, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];

/** Every fenced block with the marker comment before it (blank lines between allowed). */
function snippetsOf(doc: string): Snippet[] {
  const text = readFileSync(join(repoRoot, doc), 'utf8');
  const found: Snippet[] = [];
  for (const match of text.matchAll(
    /(?:<!--\s*(snippet|not run):\s*([^>]*?)\s*-->\s*\n\s*)?^```(\w*)(?: file=(\S+))?\n([\s\S]*?)^```/gm,
  )) {
    const [, kind, value, language = '', file, code = ''] = match;
    // A block without a language is a diagram or sample output, not code.
    if (!/^(ts|tsx|js|mjs|sh|bash|json|python)$/.test(language)) continue;
    const marker = file === undefined ? kind : 'file';
    found.push({ doc, name: kind === 'snippet' ? value : undefined, marker, language, code });
  }
  return found;
}

const all = docs.flatMap(snippetsOf);

/** The snippet of that name; each name is used once. */
function snippet(name: string): string {
  const matching = all.filter((s) => s.name === name);
  expect(matching, name).toHaveLength(1);
  return matching[0]?.code ?? '';
}

/**
 * Where snippets are written out: inside the repository, so that the packages a user would install
 * (aws-cdk-lib, cdk-nag, esbuild, the workspace's `@postbox/*`) and the README's in-clone
 * `postbox/client` resolve from its node_modules.
 */
let work: string;
beforeAll(() => {
  work = mkdtempSync(join(repoRoot, '.snippet-'));
});
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Node's option that resolves `@postbox/cdk` to packages/cdk/src (see the top of this file). */
const FROM_SOURCE = '--conditions=postbox-source';

/** The modules a snippet imports (`import … from '…'`, `import '…'`). */
const importsOf = (code: string) =>
  [...code.matchAll(/^import\s(?:[^'"]*\sfrom\s)?'([^']+)'/gm)].map((match) => match[1]);

const tested = [
  'readme-curl',
  'readme-client',
  'readme-consumer-config',
  'readme-consumer-flag',
  'deploy-consumer',
  'deploy-app',
  'deploy-iam-statement',
  // Run by test/sqs/readme.test.ts, against the SQS endpoint of a real server.
  'readme-sqs-boto3',
  'readme-sqs-sdk',
  // Run by test/sqs/deployed-signing.test.ts, behind a check of the execute-api signature.
  'sqs-deployed-sdk',
  'sqs-deployed-boto3',
];

describe('the snippets of the docs', () => {
  it('are each marked: run by a test of this file, or not runnable with a reason', () => {
    const unmarked = all
      .filter((s) => s.marker === undefined)
      .map((s) => `${s.doc}: ${s.code.split('\n')[0]}`);
    expect(unmarked).toEqual([]);
    // The files test/packages writes into its scratch project, every one of them.
    const files = all.filter((s) => s.marker === 'file');
    expect(files.map((s) => s.doc)).toEqual(files.map(() => 'docs/getting-started.md'));
    expect(files.map((s) => s.code)).toEqual([...gettingStartedFiles().values()]);
    const reasons = all.filter((s) => s.marker === 'not run');
    expect(reasons.every((s) => /\w{3,}/.test(s.code) && s.name === undefined)).toBe(true);
    expect(
      all
        .filter((s) => s.name !== undefined)
        .map((s) => s.name)
        .sort(),
    ).toEqual([...tested].sort());
  });

  it("deploy.md: the own CDK app imports only what a user's project installs, Postbox as @postbox/cdk", async () => {
    const imported = importsOf(snippet('deploy-app'));
    expect(imported).toContain('@postbox/cdk');
    const installable = /^(?:@postbox\/(?:cdk|client)|aws-cdk-lib(?:\/[\w-]+)?|constructs|cdk-nag)$/;
    expect(imported.filter((name) => !installable.test(name ?? ''))).toEqual([]);
    expect(
      importsOf(snippet('deploy-consumer')).filter((name) => !/^(?:aws-lambda|\.\/)/.test(name ?? '')),
    ).toEqual([]);
    // What the synth test below runs it against: the workspace package's own source.
    const { stdout } = await run(process.execPath, [FROM_SOURCE, '-p', "require.resolve('@postbox/cdk')"], {
      cwd: work,
    });
    expect(stdout.trim()).toBe(join(repoRoot, 'packages/cdk/src/index.ts'));
  });

  it('deploy.md: the CDK app synthesizes with cdk-nag, offline, bundling the consumer with the local esbuild', async () => {
    const app = join(work, 'cdk-app');
    mkdirSync(join(app, 'bin'), { recursive: true });
    mkdirSync(join(app, 'src'), { recursive: true });
    writeFileSync(join(app, 'bin/app.ts'), snippet('deploy-app'));
    writeFileSync(join(app, 'src/orders.ts'), snippet('deploy-consumer'));
    // The "your own code" the consumer imports.
    writeFileSync(
      join(app, 'src/fulfil.ts'),
      'export async function fulfil(_order: unknown, _attributes: unknown) {}\n',
    );
    const outdir = join(app, 'cdk.out');

    // As `cdk synth` runs an app: CDK_OUTDIR set, the app synthesizes itself on exit.
    const { stderr } = await run(process.execPath, [FROM_SOURCE, '--import', 'tsx', 'bin/app.ts'], {
      cwd: app,
      env: { ...process.env, CDK_OUTDIR: outdir, CDK_DISABLE_CLI_TELEMETRY: 'true' },
      timeout: 240_000,
    });

    expect(stderr).not.toMatch(/AwsSolutions-\w+/);
    const template = JSON.parse(readFileSync(join(outdir, 'Shop.template.json'), 'utf8')) as {
      Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
      Outputs: Record<string, unknown>;
    };
    expect(template.Outputs).toHaveProperty('ApiUrl');
    const functions = Object.entries(template.Resources).filter(
      ([, r]) => r.Type === 'AWS::Lambda::Function',
    );
    expect(functions.map(([id]) => id).some((id) => id.startsWith('Orders'))).toBe(true);
    // The consumer is wired: the dispatcher lists it and may invoke it.
    expect(JSON.stringify(template)).toMatch(/POSTBOX_CONSUMERS/);
    // The bundle is the consumer's code, built by esbuild here.
    const assets = readdirSync(outdir).filter((name) => name.startsWith('asset.'));
    const bundles = assets.map((name) => readFileSync(join(outdir, name, 'index.js'), 'utf8'));
    expect(bundles.some((code) => code.includes('batchItemFailures'))).toBe(true);
  }, 300_000);

  it('deploy.md: the IAM statement is valid JSON naming the queue both ways', () => {
    const statement = JSON.parse(snippet('deploy-iam-statement')) as { Resource: string[] };
    expect(statement.Resource.map((arn) => arn.split('/v1/')[1])).toEqual([
      'queues/orders',
      'queues/orders/*',
    ]);
  });

  it('README: the consumer config file and the --consumer flag are what npm start accepts', async () => {
    const dir = join(work, 'consumers');
    mkdirSync(join(dir, 'src'), { recursive: true });
    writeFileSync(join(dir, 'src/orders.ts'), 'export async function handler() {}\n');
    const config = snippet('readme-consumer-config');
    writeFileSync(join(dir, 'postbox.config.ts'), config);
    const fromFile = await loadConsumers({ cwd: dir, env: undefined, args: [] });
    expect(fromFile).toMatchObject([{ queue: 'orders', batchSize: 5, concurrency: 2 }]);

    const flag = snippet('readme-consumer-flag').trim();
    const [, argument] = /--consumer '([^']+)'/.exec(flag) ?? [];
    expect(flag).toBe(`npm start -- --consumer '${argument}'`);
    // From the same folder without the config file, so only the flag counts.
    rmSync(join(dir, 'postbox.config.ts'));
    const fromFlag = await loadConsumers({ cwd: dir, env: undefined, args: ['--consumer', argument ?? ''] });
    expect(fromFlag).toEqual(fromFile);
  });

  describe('against a local server', () => {
    let postbox: LocalPostbox;
    beforeAll(async () => {
      postbox = await startPostbox();
    }, 120_000);
    afterAll(async () => {
      await postbox?.stop();
    });

    /** The snippet with the README's address replaced by this server's. */
    const pointed = (code: string) => code.replaceAll('http://127.0.0.1:3000', postbox.url);

    it('README: the curl tour runs; every call but the ack of the placeholder receipt succeeds', async () => {
      const auth = `-H 'Authorization: Bearer ${postbox.token}'`;
      // The README's calls with the token (as its next paragraph says), each answer on its own line.
      const script = pointed(snippet('readme-curl')).replaceAll(
        'curl -s ',
        `curl -s -w '\\n%{http_code}\\n' ${auth} `,
      );
      const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', script], {
        timeout: 60_000,
      });
      const answers = stdout.trim().split('\n');
      const statuses = answers.filter((_, i) => i % 2 === 1);
      // PUT queue, publish, receive, ack (with a placeholder receipt: 400), get.
      expect(statuses).toEqual(['201', '201', '200', '400', '200']);
      expect(JSON.parse(answers[2] ?? '')).toMatchObject({ duplicate: false });
      expect(JSON.parse(answers[4] ?? '')).toMatchObject({
        messages: [{ body: { orderId: 42 }, attributes: { type: 'created' }, receiveCount: 1 }],
      });
      expect(JSON.parse(answers[6] ?? '')).toMatchObject({ error: { code: 'InvalidReceipt' } });
      expect(JSON.parse(answers[8] ?? '')).toMatchObject({ name: 'orders', counts: { inFlight: 1 } });
    }, 90_000);
    it('README: the TypeScript client snippet publishes, consumes one message and ends', async () => {
      const file = join(work, 'hello.mts');
      writeFileSync(file, pointed(snippet('readme-client')));
      const { stdout } = await run(process.execPath, ['--import', 'tsx', file], {
        cwd: work,
        env: { ...process.env, POSTBOX_TOKEN: postbox.token },
        timeout: 60_000,
      });
      expect(stdout).toBe('order 42, delivery 1\n');
    }, 90_000);
  });
});
