/**
 * Lifecycle commands of the model-based test: configuration updates, purge, delete and
 * re-create, and switching the engine (another process on the same table) the next commands go
 * through. What they must not break is checked by every later command and the final checks.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import type { Command, Real } from './commands';
import type { QueueModel } from './reference';

/**
 * Configuration changes go through the first engine, whose cache sees its own changes at once; the
 * second engine reads the configuration on every call (configCacheMs 0), so the model stays exact.
 * What a cache that is stale for its second does across processes: test/core/lifecycle.test.ts.
 */
const lifecycleEngine = (real: Real) => real.engines[0] as Real['engine'];

class Purge implements Command {
  check = () => true;
  async run(model: QueueModel, real: Real) {
    await lifecycleEngine(real).purgeQueue(real.queue);
    model.purge();
    expect((await real.engine.getQueue(real.queue)).counts.total, 'empty after purge').toBe(0);
  }
  toString() {
    return 'purge()';
  }
}

class Recreate implements Command {
  check = () => true;
  async run(model: QueueModel, real: Real) {
    // A topic that subscribes the queue keeps it from being deleted (409): it goes first.
    if (model.topic !== null) await lifecycleEngine(real).deleteTopic(real.topic);
    model.topic = null;
    await lifecycleEngine(real).deleteQueue(real.queue);
    await expect(real.engine.getQueue(real.queue)).rejects.toMatchObject({ code: 'QueueNotFound' });
    const { created } = await lifecycleEngine(real).putQueue(real.queue, real.fields);
    expect(created).toBe(true);
    model.recreate();
  }
  toString() {
    return 'deleteTopic() if put, deleteQueue(), putQueue(same configuration)';
  }
}

interface ConfigChange {
  visibilityTimeoutSeconds?: number;
  delaySeconds?: number;
  /** Raised only: lowering it below receives already made is tested in dead-letters.test.ts. */
  raiseMaxReceiveCount?: boolean;
  /** Switches a bound on (far above what a run publishes): the messages already there are counted. */
  bound?: boolean;
}

class UpdateConfig implements Command {
  constructor(readonly change: ConfigChange) {}
  check = () => true;
  async run(model: QueueModel, real: Real) {
    const { visibilityTimeoutSeconds, delaySeconds, raiseMaxReceiveCount } = this.change;
    const fields: Record<string, number> = {};
    if (visibilityTimeoutSeconds !== undefined) fields.visibilityTimeoutSeconds = visibilityTimeoutSeconds;
    if (delaySeconds !== undefined) fields.delaySeconds = delaySeconds;
    if (raiseMaxReceiveCount && model.deadLetters)
      fields.maxReceiveCount = model.deadLetters.maxReceiveCount + 1;
    if (this.change.bound) fields.maxMessages = 1_000;
    const { queue } = await lifecycleEngine(real).putQueue(real.queue, fields);
    expect(queue).toMatchObject(fields);
    real.fields = { ...real.fields, ...fields };
    Object.assign(model.config, {
      ...(visibilityTimeoutSeconds === undefined ? {} : { visibilityTimeoutSeconds }),
      ...(delaySeconds === undefined ? {} : { delaySeconds }),
    });
    if (fields.maxReceiveCount !== undefined && model.deadLetters)
      model.deadLetters.maxReceiveCount = fields.maxReceiveCount;
  }
  toString() {
    return `putQueue(${JSON.stringify(this.change)})`;
  }
}

class SwitchEngine implements Command {
  constructor(readonly index: number) {}
  check = () => true;
  async run(_model: QueueModel, real: Real) {
    real.engine = real.engines[this.index % real.engines.length] as Real['engine'];
  }
  toString() {
    return `switchEngine(#${this.index})`;
  }
}

export const purge = fc.constant(new Purge());
export const recreate = fc.constant(new Recreate());
export const updateConfig = fc
  .record(
    {
      visibilityTimeoutSeconds: fc.integer({ min: 1, max: 60 }),
      delaySeconds: fc.constantFrom(0, 0, 5),
      raiseMaxReceiveCount: fc.boolean(),
      bound: fc.boolean(),
    },
    { requiredKeys: [] },
  )
  .map((change) => new UpdateConfig(change));
export const switchEngine = fc.nat({ max: 1 }).map((index) => new SwitchEngine(index));
