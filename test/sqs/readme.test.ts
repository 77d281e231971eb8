/** The README's "Use your SQS code" snippets, run as they are against the real server. */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../e2e/local-server-process';
import { type SqsHarness, sqsQueueName, startSqsHarness } from './support';

const run = promisify(execFile);

let h: SqsHarness;
beforeAll(async () => {
  h = await startSqsHarness();
});
afterAll(async () => h.close());

function snippet(language: 'python' | 'ts'): string {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const section = readme.split('## Use your SQS code')[1]?.split(/^## /m)[0] ?? '';
  const code = new RegExp(`^\`\`\`${language}\\n([\\s\\S]*?)^\`\`\``, 'm').exec(section)?.[1];
  if (!code) throw new Error(`no ${language} snippet in the README's "Use your SQS code"`);
  return code;
}

/** The snippet on this test's server and a queue of its own; otherwise unchanged. */
const adapted = (code: string, queue: string) =>
  code.replaceAll('http://127.0.0.1:3000', h.url).replaceAll('sqs-orders', queue);

describe('README: Use your SQS code', () => {
  it('runs the boto3 snippet', async () => {
    const { stdout } = await run(
      '/usr/bin/python3',
      ['-c', adapted(snippet('python'), sqsQueueName('readme'))],
      {
        env: { ...process.env, AWS_EC2_METADATA_DISABLED: 'true', PYTHONPATH: '' },
        timeout: 60_000,
      },
    );
    expect(stdout).toBe('order 42\n');
  });

  it('runs the SDK v3 snippet', async () => {
    const cache = join(repoRoot, 'node_modules', '.cache');
    mkdirSync(cache, { recursive: true });
    const file = join(cache, `readme-sqs-${process.pid}.mts`);
    writeFileSync(file, adapted(snippet('ts'), sqsQueueName('readme')));
    try {
      const { stdout } = await run(process.execPath, ['--import', 'tsx', file], {
        cwd: repoRoot,
        timeout: 60_000,
      });
      expect(stdout).toBe('order 42\n');
    } finally {
      rmSync(file, { force: true });
    }
  });
});
