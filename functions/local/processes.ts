/**
 * What the local runtime needs to know about other processes: is a pid alive, what is its
 * command line and parent, and how to make one go away. Linux answers from /proc; elsewhere
 * (macOS) `ps` does. Used to find a DynamoDB Local left behind by a server killed with SIGKILL.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** The arguments joined by spaces. */
  commandLine: string;
}

const hasProc = existsSync('/proc/self/stat');

/**
 * The process, or undefined when there is none. A zombie counts as gone: it holds no port and
 * no files, and in a container without an init that reaps, it may stay a zombie forever.
 */
export function inspectProcess(pid: number): ProcessInfo | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  return hasProc ? fromProc(pid) : fromPs(pid);
}

export function isAlive(pid: number): boolean {
  return inspectProcess(pid) !== undefined;
}

function fromProc(pid: number): ProcessInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name in parentheses may itself hold spaces and parentheses: parse after the last ')'.
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (state === 'Z' || state === 'X' || state === 'x') return undefined;
    const commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
    return { pid, ppid: Number(ppid), commandLine };
  } catch {
    return undefined;
  }
}

function fromPs(pid: number): ProcessInfo | undefined {
  try {
    const out = execFileSync('ps', ['-o', 'stat=,ppid=,command=', '-p', String(pid)], { encoding: 'utf8' });
    const match = /^\s*(\S+)\s+(\d+)\s+(.*)$/.exec(out.trim());
    if (!match || match[1]?.startsWith('Z')) return undefined;
    return { pid, ppid: Number(match[2]), commandLine: match[3] ?? '' };
  } catch {
    // ps exits non-zero when the pid does not exist.
    return undefined;
  }
}

/**
 * SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. SIGCONT follows the
 * SIGTERM because a stopped process would otherwise sit on it until the SIGKILL.
 */
export async function terminate(pid: number, graceMs = 5_000): Promise<void> {
  if (!signal(pid, 'SIGTERM')) return;
  signal(pid, 'SIGCONT');
  if (await waitForExit(pid, graceMs)) return;
  signal(pid, 'SIGKILL');
  if (!(await waitForExit(pid, 5_000))) throw new Error(`process ${pid} survived SIGKILL`);
}

function signal(pid: number, name: NodeJS.Signals): boolean {
  try {
    process.kill(pid, name);
    return true;
  } catch {
    return false;
  }
}

export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}
