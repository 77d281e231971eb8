/**
 * The pid file in the data directory that lets a start clean up after a crash. A local server
 * killed with SIGKILL cannot stop its DynamoDB Local child; the child would keep the port and the
 * database file, and a second DynamoDB Local on the same file is not safe. So every start reads
 * the pid the last one recorded and stops that process first, if it is still a DynamoDB Local on
 * this directory.
 *
 * File format: line 1 the DynamoDB Local (java) pid, line 2 the pid of the process that started it.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspectProcess, isAlive, terminate } from './processes';

export const PID_FILE_NAME = 'dynamodb-local.pid';

export interface PidRecord {
  pid: number;
  ownerPid: number;
}

export class DataDirInUseError extends Error {
  override name = 'DataDirInUseError';
}

export function pidFilePath(dataDir: string): string {
  return join(dataDir, PID_FILE_NAME);
}

export function readPidFile(dataDir: string): PidRecord | undefined {
  let text: string;
  try {
    text = readFileSync(pidFilePath(dataDir), 'utf8');
  } catch {
    return undefined;
  }
  const [pid, ownerPid] = text.split('\n').map((line) => Number.parseInt(line, 10));
  if (!pid || !Number.isInteger(pid) || pid <= 0) return undefined;
  return { pid, ownerPid: ownerPid && Number.isInteger(ownerPid) ? ownerPid : 0 };
}

/** Written to a temporary name and renamed, so a crash never leaves half a pid file. */
export function writePidFile(dataDir: string, record: PidRecord): void {
  const path = pidFilePath(dataDir);
  writeFileSync(`${path}.tmp`, `${record.pid}\n${record.ownerPid}\n`);
  renameSync(`${path}.tmp`, path);
}

/** Removes the file only while it still names `pid`: a newer start may have replaced it. */
export function removePidFile(dataDir: string, pid: number): void {
  if (readPidFile(dataDir)?.pid === pid) rmSync(pidFilePath(dataDir), { force: true });
}

/**
 * Stops the DynamoDB Local recorded in `dataDir` if it outlived its owner. Refuses (rather than
 * kill it) when its owner is still alive and still its parent: then another Postbox is using the
 * directory right now. A recorded pid that is gone, or now belongs to some other program (pids are
 * reused), is left alone.
 *
 * @param dbPath the absolute path DynamoDB Local was given, to recognise it on its command line
 * @returns the pid it stopped, if any
 */
export async function stopStaleDynamoDbLocal(dataDir: string, dbPath: string): Promise<number | undefined> {
  const record = readPidFile(dataDir);
  if (!record) return undefined;
  const stale = inspectProcess(record.pid);
  const isOurs = stale?.commandLine.includes('DynamoDBLocal') && stale.commandLine.includes(dbPath);
  if (stale && isOurs) {
    if (record.ownerPid > 0 && stale.ppid === record.ownerPid && isAlive(record.ownerPid)) {
      throw new DataDirInUseError(
        `${dataDir} is in use by another running Postbox (pid ${record.ownerPid}, DynamoDB Local pid ` +
          `${record.pid}). Stop it first, or choose another POSTBOX_DATA_DIR.`,
      );
    }
    await terminate(record.pid);
  }
  rmSync(pidFilePath(dataDir), { force: true });
  return stale && isOurs ? record.pid : undefined;
}
