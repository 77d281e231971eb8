/**
 * One execution environment of a deployed function: a child process running
 * runtime/lambda-runtime.cjs on the function's bundle with the environment Lambda gives it.
 * `invoke` hands it an event and resolves with the parsed JSON the runtime answers; a handler
 * that throws rejects with a {@link FunctionError}. Its stdout (the function's log) is kept.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import type { DeployedFunction } from './deployed-stack';
import { ACCOUNT } from './function-environment';

const RUNTIME = join(__dirname, 'runtime', 'lambda-runtime.cjs');

export class FunctionError extends Error {
  override name = 'FunctionError';
  constructor(
    readonly errorType: string,
    errorMessage: string,
  ) {
    super(`${errorType}: ${errorMessage}`);
  }
}

type FromRuntime =
  | { type: 'ready' }
  | { type: 'init-error'; error: { errorType: string; errorMessage: string } }
  | { type: 'result'; id: number; payload?: string; error?: { errorType: string; errorMessage: string } };

export class LambdaProcess {
  /** The function's log, one line per entry (Powertools writes JSON lines). */
  readonly logLines: string[] = [];
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private nextId = 0;

  private constructor(private readonly child: ChildProcess) {
    let partial = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      this.logLines.push(...lines.filter((line) => line.trim() !== ''));
    });
    child.stderr?.on('data', (chunk: Buffer) => this.logLines.push(chunk.toString('utf8')));
    child.on('message', (message: FromRuntime) => {
      if (message.type !== 'result') return;
      const waiting = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.error)
        waiting?.reject(new FunctionError(message.error.errorType, message.error.errorMessage));
      else waiting?.resolve(JSON.parse(message.payload ?? 'null'));
    });
    child.on('exit', (code, signal) => {
      for (const waiting of this.pending.values()) {
        waiting.reject(new Error(`the execution environment exited (${code ?? signal}) mid-invocation`));
      }
      this.pending.clear();
    });
  }

  /** Starts the environment and waits for the bundle's init (module load) to finish. */
  static start(fn: DeployedFunction, env: Record<string, string>): Promise<LambdaProcess> {
    const child = fork(RUNTIME, [String(fn.timeoutSeconds), ACCOUNT], {
      cwd: fn.codeDir,
      env,
      execArgv: [],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const environment = new LambdaProcess(child);
    return new Promise((resolve, reject) => {
      child.once('message', (message: FromRuntime) => {
        if (message.type === 'ready') resolve(environment);
        else if (message.type === 'init-error') {
          reject(new FunctionError(message.error.errorType, message.error.errorMessage));
        }
      });
      child.once('exit', (code) => reject(new Error(`the runtime exited (${code}) during init`)));
    });
  }

  invoke<T = unknown>(event: unknown): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ type: 'invoke', id, event });
    });
  }

  /** Log entries that are JSON objects (Powertools logs, EMF metric documents). */
  jsonLogs(): Record<string, unknown>[] {
    return this.logLines.flatMap((line) => {
      try {
        const value = JSON.parse(line) as unknown;
        return value !== null && typeof value === 'object' ? [value as Record<string, unknown>] : [];
      } catch {
        return [];
      }
    });
  }

  stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.kill('SIGTERM');
    });
  }
}
