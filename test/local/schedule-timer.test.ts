/**
 * The local runtime's schedule timer, on a real engine with an injected clock: it wakes at the
 * earliest next firing the store answers, at once for a schedule defined through this process,
 * and otherwise asks the store only every `pollMs`.
 */
import { describe, expect, it } from 'vitest';
import { ScheduleTimer } from '../../functions/local/schedule-timer';
import { manualClock, queueName, testEngine } from '../support/engine';

const at = (iso: string) => Date.parse(iso);

describe('ScheduleTimer', () => {
  it('sleeps until the next firing, fires it on time, and polls rarely when idle', async () => {
    const clock = manualClock(at('2026-12-02T10:00:00.000Z'));
    const { engine } = await testEngine(clock);
    const queue = queueName('timer');
    await engine.putQueue(queue, {});
    const timer = new ScheduleTimer({ engine, clock, pollMs: 60_000, slackMs: 2 });
    const woken: number[] = [];
    timer.onEarlier(() => woken.push(timer.nextWakeAt()));

    expect(timer.nextWakeAt()).toBe(clock()); // at start: look at once
    await timer.runDue();
    expect(timer.nextWakeAt()).toBe(at('2026-12-02T10:01:00.000Z')); // nothing due: the next poll

    const { schedule } = await engine.putSchedule('t', {
      everySeconds: 5,
      start: at('2026-12-02T10:00:05.000Z'),
      target: { queue },
      message: { body: 'x' },
    });
    timer.noteFiring(schedule.nextFirings[0] as number);
    expect(woken).toEqual([at('2026-12-02T10:00:05.002Z')]);

    clock.set(timer.nextWakeAt());
    await timer.runDue();
    expect(timer.nextWakeAt()).toBe(at('2026-12-02T10:00:10.002Z'));
    const [message] = await engine.receive(queue, { ack: 'auto' });
    expect(message?.attributes['postbox.firedAt']).toBe('2026-12-02T10:00:05.000Z');
  });
});
