/**
 * Runs the `postbox` command as a user does (package.json's bin, through node), with a bound on
 * time, and collects its output and exit code.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../e2e/local-server-process';

const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { bin: { postbox: string } };
export const binPath = join(repoRoot, pkg.bin.postbox);

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: Record<string, string | undefined>;
  input?: string;
  timeoutMs?: number;
}

/** Starts the CLI; the caller reads and ends it. */
export function spawnCli(args: string[], options: CliOptions = {}): ChildProcess {
  const env = { ...process.env, POSTBOX_URL: undefined, POSTBOX_TOKEN: undefined, ...options.env };
  const child = spawn(process.execPath, [binPath, ...args], {
    cwd: repoRoot,
    env: Object.fromEntries(
      Object.entries(env).filter(([, value]) => value !== undefined),
    ) as NodeJS.ProcessEnv,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  if (options.input !== undefined) child.stdin?.end(options.input);
  else child.stdin?.end();
  return child;
}

/** Runs the CLI to its end (killed after `timeoutMs`). */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const child = spawnCli(args, options);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`postbox ${args.join(' ')} did not finish in time\nstdout: ${stdout}\nstderr: ${stderr}`),
      );
    }, options.timeoutMs ?? 30_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
