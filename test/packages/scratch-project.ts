/**
 * Helpers of the scratch-project test: commands run with a bound on time, the files of
 * docs/getting-started.md, and a `postbox dev` child process that is always stopped.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { descendants, repoRoot } from '../e2e/local-server-process';

const run = promisify(execFile);

/**
 * The environment of every command: no AWS credentials chain, no telemetry, no notices, no npm
 * chatter. Without `npm_*` variables: under `npm test` they carry this repository's npm settings
 * (its prefix among them), which would make an `npm install` in the scratch project act on the repo.
 */
export const quietEnv: NodeJS.ProcessEnv = {
  ...Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name) && name !== 'INIT_CWD'),
  ),
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
  CDK_DISABLE_CLI_TELEMETRY: 'true',
  npm_config_audit: 'false',
  npm_config_fund: 'false',
  npm_config_update_notifier: 'false',
  // Not this repository's node_modules/.bin (npm puts it on PATH for `npm test`): the project
  // must run its own cdk, tsx and postbox.
  PATH: (process.env.PATH ?? '')
    .split(delimiter)
    .filter((dir) => !dir.startsWith(repoRoot))
    .join(delimiter),
  POSTBOX_URL: undefined,
  POSTBOX_TOKEN: undefined,
  PORT: undefined,
};

/** Runs a command to its end within `timeoutMs`; its output, or an error that carries it. */
export async function sh(
  file: string,
  args: string[],
  options: { cwd: string; timeoutMs: number; env?: NodeJS.ProcessEnv },
): Promise<string> {
  try {
    const { stdout } = await run(file, args, {
      cwd: options.cwd,
      env: options.env ?? quietEnv,
      timeout: options.timeoutMs,
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  } catch (error) {
    const failed = error as Error & { stdout?: string; stderr?: string };
    throw new Error(
      `${file} ${args.join(' ')} (in ${options.cwd}) failed: ${failed.message}\n${failed.stdout}\n${failed.stderr}`,
    );
  }
}

/** The files docs/getting-started.md shows: fenced blocks whose info string names `file=PATH`. */
export function gettingStartedFiles(): Map<string, string> {
  const doc = readFileSync(join(repoRoot, 'docs', 'getting-started.md'), 'utf8');
  const files = new Map<string, string>();
  for (const match of doc.matchAll(/^```\w+ file=(\S+)\n([\s\S]*?)^```$/gm)) {
    files.set(match[1] as string, match[2] as string);
  }
  return files;
}

/** The exact versions this repository's lockfile installs of `name`. */
export function pinnedVersion(name: string): string {
  const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { version?: string }>;
  };
  const version = lock.packages[`node_modules/${name}`]?.version;
  if (!version) throw new Error(`${name} is not in package-lock.json`);
  return version;
}

export interface DevServer {
  url: string;
  output(): string;
  stop(): Promise<void>;
}

/**
 * `npx postbox dev …` in `cwd`, in its own process group; resolves at its ready line. `stop()`
 * sends SIGTERM to the group (npx, the CLI, DynamoDB Local) and SIGKILL to what is left after 15 s.
 */
export async function startDev(cwd: string, args: string[], timeoutMs: number): Promise<DevServer> {
  const child: ChildProcess = spawn('npx', ['--no-install', 'postbox', 'dev', ...args], {
    cwd,
    env: quietEnv,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  const stop = async () => {
    const pid = child.pid;
    if (pid === undefined) return;
    const tree = [pid, ...descendants(pid)];
    if (!gone) signalGroup(pid, 'SIGTERM');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 15_000))]);
    signalGroup(pid, 'SIGKILL');
    // Anything that left the group (none should) is stopped by its own id.
    for (const other of tree) signal(other, 'SIGKILL');
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ready = /Postbox listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
    if (ready?.[1]) return { url: ready[1], output: () => output, stop };
    if (gone || Date.now() > deadline) {
      await stop();
      throw new Error(`postbox dev ${gone ? 'exited' : 'was not ready in time'}:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function signalGroup(pid: number, name: NodeJS.Signals): void {
  signal(-pid, name);
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

/** Waits until `check` returns true, for at most `timeoutMs`. */
export async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
