/**
 * Stops the local server when the process that started it goes away. `npm start` runs the server
 * through `sh -c`, and npm relays a SIGTERM only to that shell, which dies of it without passing
 * it on; a process manager that signals the pid it started (npm's) would otherwise leave the server
 * and its DynamoDB Local serving the port under pid 1. The `start` script `exec`s node so the signal
 * reaches the server itself; this watch covers every other wrapper (a shell script, a tool that
 * does not relay signals, a parent killed with SIGKILL).
 *
 * A process whose parent dies is adopted by pid 1 or by a subreaper, so its `ppid` changes: that
 * change is the signal. A server started by pid 1 itself (a container's entrypoint) has nothing to
 * watch, and a parent that was already gone at start is not "going away" now.
 */

export interface ParentWatch {
  stop(): void;
}

/**
 * Calls `onGone` once, within about `intervalMs`, after this process's parent changes.
 * The timer is unref'd: the watch never keeps the process alive by itself.
 */
export function watchParent(onGone: (formerParent: number) => void, intervalMs = 500): ParentWatch {
  const parent = process.ppid;
  const timer = setInterval(() => {
    // process.ppid asks the OS each time (getppid), so it changes after an adoption.
    if (process.ppid === parent) return;
    clearInterval(timer);
    onGone(parent);
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
