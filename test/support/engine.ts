/** An engine on a fresh table with a clock the test moves by hand. */
import { DynamoEngine } from '../../functions/core/dynamo-engine';
import { freshTable } from './dynamo';

export interface ManualClock {
  (): number;
  advance(ms: number): void;
  set(ms: number): void;
}

export function manualClock(start = Date.parse('2026-11-25T12:00:00.000Z')): ManualClock {
  let now = start;
  const clock = (() => now) as ManualClock;
  clock.advance = (ms) => {
    now += ms;
  };
  clock.set = (ms) => {
    now = ms;
  };
  return clock;
}

export async function testEngine(clock: ManualClock = manualClock()) {
  const { client, tableName } = await freshTable();
  const engine = new DynamoEngine({ client, tableName, clock });
  return { engine, clock, client, tableName };
}

let counter = 0;
/** A queue name unique within the test file. */
export const queueName = (prefix = 'q') => `${prefix}-${process.pid}-${++counter}`;
