import { describe, expect, it } from 'vitest';
import { startDueWork } from '../../functions/local/timers';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('startDueWork', () => {
  it('runs repeatedly and never two runs at once', async () => {
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    const work = startDueWork({
      intervalMs: 5,
      run: async () => {
        active++;
        maxActive = Math.max(maxActive, active);
        await sleep(20);
        active--;
        runs++;
      },
    });
    await sleep(200);
    await work.stop();
    expect(runs).toBeGreaterThanOrEqual(3);
    expect(maxActive).toBe(1);
  });

  it('keeps going after a failure, and logs a repeated failure once', async () => {
    const lines: string[] = [];
    let calls = 0;
    const work = startDueWork({
      intervalMs: 5,
      log: (line) => lines.push(line),
      run: async () => {
        calls++;
        if (calls <= 5) throw new Error('store unreachable');
      },
    });
    await sleep(150);
    await work.stop();
    expect(calls).toBeGreaterThan(6);
    expect(lines).toEqual([
      'Timed work failed (retrying every 5 ms): Error: store unreachable',
      'Timed work recovered',
    ]);
  });

  it('stop() waits for the run under way and schedules no more', async () => {
    let finished = 0;
    let started = 0;
    const work = startDueWork({
      intervalMs: 1,
      run: async () => {
        started++;
        await sleep(30);
        finished++;
      },
    });
    await sleep(10);
    await work.stop();
    expect(finished).toBe(started);
    const startedAtStop = started;
    await sleep(50);
    expect(started).toBe(startedAtStop);
  });
});
