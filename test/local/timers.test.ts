/**
 * The timer that drives the due tracker: sleeps until the source's next wake time, wakes sooner
 * when told of an earlier one, never runs twice at once, and survives failures. The source here
 * is a plain object, so the timer is tested alone (the tracker has its own tests).
 */
import { describe, expect, it } from 'vitest';
import { type DueSource, startDueWork } from '../../functions/local/timers';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function source(run: () => Promise<void>, firstWakeAt = Date.now()) {
  let wakeAt = firstWakeAt;
  const listeners = new Set<() => void>();
  const due: DueSource & { wakeAt(at: number): void } = {
    nextWakeAt: () => wakeAt,
    runDue: run,
    onEarlier: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    wakeAt: (at) => {
      const earlier = at < wakeAt;
      wakeAt = at;
      if (earlier) for (const listener of listeners) listener();
    },
  };
  return due;
}

describe('startDueWork', () => {
  it('runs when the source is due, again when it is due again, and never two runs at once', async () => {
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    const due = source(async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      await sleep(20);
      active--;
      runs++;
      // Due again at once: the next run must still wait for this one to settle.
      due.wakeAt(Date.now() - 1);
    });
    const work = startDueWork({ due });
    await sleep(200);
    await work.stop();
    expect(runs).toBeGreaterThanOrEqual(3);
    expect(maxActive).toBe(1);
  });

  it('sleeps until the wake time, and wakes sooner when an earlier one is learned', async () => {
    let runs = 0;
    const due = source(async () => {
      runs++;
      due.wakeAt(Number.POSITIVE_INFINITY);
    }, Date.now() + 60_000);
    const work = startDueWork({ due });
    await sleep(50);
    expect(runs).toBe(0);
    due.wakeAt(Date.now() + 20);
    await sleep(10);
    expect(runs).toBe(0);
    for (let waited = 0; runs === 0 && waited < 2_000; waited += 5) await sleep(5);
    await work.stop();
    expect(runs).toBe(1);
  });

  it('waits retryMs after a failure, logs a repeated failure once, and says when it recovered', async () => {
    const lines: string[] = [];
    let calls = 0;
    const due = source(async () => {
      calls++;
      if (calls <= 5) throw new Error('store unreachable');
      due.wakeAt(Number.POSITIVE_INFINITY);
    });
    const work = startDueWork({ due, retryMs: 5, log: (line) => lines.push(line) });
    for (let waited = 0; calls < 6 && waited < 2_000; waited += 5) await sleep(5);
    await work.stop();
    expect(calls).toBe(6);
    expect(lines).toEqual([
      'Timed work failed (retrying in 5 ms): Error: store unreachable',
      'Timed work recovered',
    ]);
  });

  it('does not retry a failure sooner than retryMs, even when the source is due', async () => {
    let calls = 0;
    const due = source(async () => {
      calls++;
      throw new Error('store unreachable');
    });
    const work = startDueWork({ due, retryMs: 10_000, log: () => {} });
    await sleep(100);
    await work.stop();
    expect(calls).toBe(1);
  });

  it('stop() waits for the run under way and schedules no more', async () => {
    let finished = 0;
    let started = 0;
    const due = source(async () => {
      started++;
      await sleep(30);
      finished++;
    });
    const work = startDueWork({ due });
    await sleep(10);
    await work.stop();
    expect(finished).toBe(started);
    const startedAtStop = started;
    due.wakeAt(Date.now() - 1);
    await sleep(50);
    expect(started).toBe(startedAtStop);
  });
});
