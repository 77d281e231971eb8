/**
 * The Postbox stack as `cdk synth` writes it, bundling ON: for each function the folder of its
 * bundled asset, its handler, timeout, memory and the environment the template gives it, plus the
 * triggers' settings the tests feed the dispatcher by (synth-stack.ts builds it).
 *
 * Synthesized once per test run and shared by the test files of this folder: bundling both
 * functions costs tens of seconds on a loaded machine. The first file to get here creates the
 * run's directory (mkdir is the lock) and synthesizes into it; the others wait for its
 * `deployed.json`. The directory is named after the vitest process all test files share and a
 * hash of what the synth reads (infra/, functions/, the lock file, synth-stack.ts), so a run never
 * loads another run's bundles, nor a watch-mode rerun those of older sources; directories of
 * finished runs are removed.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { isMainThread } from 'node:worker_threads';

export const STACK_NAME = 'PostboxStack';
export const CONSUMED_QUEUE = 'orders';
export const CONSUMER_OPTIONS = { batchSize: 5, concurrency: 2, visibilityTimeoutSeconds: 30 } as const;

// biome-ignore lint/suspicious/noExplicitAny: template JSON, read by shape
export type TemplateValue = any;
export interface Resource {
  Type: string;
  Properties: Record<string, TemplateValue>;
}

export interface DeployedFunction {
  logicalId: string;
  /** `<file>.<export>`, as the runtime reads `_HANDLER`. */
  handler: string;
  runtime: string;
  timeoutSeconds: number;
  memorySize: number;
  /** `<outdir>/asset.<hash>`: what `cdk deploy` zips and uploads. */
  codeDir: string;
  /** The template's `Environment.Variables`, intrinsics unresolved. */
  environment: Record<string, TemplateValue>;
}

export interface DeployedStack {
  outdir: string;
  resources: Record<string, Resource>;
  api: DeployedFunction;
  dispatcher: DeployedFunction;
  consumer: { logicalId: string };
  tableLogicalId: string;
  /** The HTTP API's stage and route keys. */
  stageName: string;
  routeKeys: string[];
  /** What the minute sweep rule sends the dispatcher (its target's `Input`). */
  sweepInput: string;
  /** The stream event source mapping of the dispatcher: its filter patterns and batch size. */
  streamMapping: { filterPatterns: unknown[]; batchSize: number };
}

const PREFIX = 'postbox-bundles-run-';
const MANIFEST = 'deployed.json';
/** Longest wait for another file's synth; within the test files' hook timeout. */
const WAIT_MS = 230_000;

/** The vitest process of this run: the parent of a `forks` worker, the process of a `threads` one. */
const runPid = isMainThread ? process.ppid : process.pid;

const REPO_ROOT = resolve(__dirname, '..', '..');
const SYNTH_INPUTS = ['infra', 'functions', 'package-lock.json', 'test/bundles/synth-stack.ts'];

/** A hash of every file the synth reads from the repository. */
function inputsHash(): string {
  const hash = createHash('sha256');
  const add = (path: string) => {
    if (!statSync(path).isDirectory()) {
      hash.update(`${relative(REPO_ROOT, path)}\0`).update(readFileSync(path));
      return;
    }
    for (const name of readdirSync(path).sort()) add(join(path, name));
  };
  for (const input of SYNTH_INPUTS) add(join(REPO_ROOT, input));
  return hash.digest('hex').slice(0, 16);
}

export async function deployedStack(): Promise<DeployedStack> {
  const runDir = join(tmpdir(), `${PREFIX}${runPid}-${inputsHash()}`);
  try {
    mkdirSync(runDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return waitForManifest(runDir);
  }
  removeFinishedRuns();
  // Loaded only here: the files that wait need neither aws-cdk-lib nor the stack.
  const { synthesizeStack } = await import('./synth-stack');
  try {
    const stack = synthesizeStack(runDir);
    writeFileSync(join(runDir, MANIFEST), JSON.stringify(stack));
    return stack;
  } catch (error) {
    writeFileSync(join(runDir, MANIFEST), JSON.stringify({ error: String(error) }));
    throw error;
  }
}

async function waitForManifest(runDir: string): Promise<DeployedStack> {
  const deadline = Date.now() + WAIT_MS;
  while (Date.now() < deadline) {
    if (existsSync(join(runDir, MANIFEST))) {
      const stack = JSON.parse(readFileSync(join(runDir, MANIFEST), 'utf8'));
      if (stack.error) throw new Error(`the synth of this run failed: ${stack.error}`);
      return stack as DeployedStack;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`no ${MANIFEST} in ${runDir} after ${WAIT_MS} ms`);
}

/** Removes the directories of runs whose vitest process has ended. */
function removeFinishedRuns(): void {
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(PREFIX)) continue;
    const pid = Number(name.slice(PREFIX.length).split('-')[0]);
    if (pid === runPid || isAlive(pid)) continue;
    rmSync(join(tmpdir(), name), { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
