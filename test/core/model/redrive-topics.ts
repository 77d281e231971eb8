/**
 * Redrive and topic commands of the model-based test: whole-queue redrive of the dead-letter queue
 * back to its source, redrive of the run's queue `to` the dead-letter queue, and a topic that
 * subscribes the run's queue, its dead-letter queue and an always-full bounded queue, with filters.
 * A topic publish fans out to the matching queues atomically: a matching full queue fails it with
 * QueueFull and no queue gets the message (every later command and the final checks see that).
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import type { PublishInput, Subscription } from '../../../functions/core/types';
import { expectCode } from './checks';
import { type Command, describeInput, publishInput, type Real } from './commands';
import type { Order, QueueModel, TopicSubscription } from './reference';

const hasDeadLetterQueue = (model: Readonly<QueueModel>) => model.deadLetters !== null;

/**
 * Redrive of the dead-letter queue (back to each dead letter's source, the run's queue), or of the
 * run's queue `to` the dead-letter queue. Left out (nothing run) when the model cannot say the
 * exact order (QueueModel.redriveIsExact).
 */
class Redrive implements Command {
  constructor(readonly toDeadLetters: boolean) {}
  check = hasDeadLetterQueue;
  async run(model: QueueModel, real: Real) {
    const deadLetters = model.deadLetters?.queue as QueueModel;
    const [source, target] = this.toDeadLetters ? [model, deadLetters] : [deadLetters, model];
    if (!source.redriveIsExact()) return;
    const options = this.toDeadLetters ? { to: deadLetters.queue } : {};
    const { moved } = await real.engine.redrive(source.queue, options);
    expect(moved, `redrive of ${source.queue}: how many moved`).toBe(
      source.redriveTo(target, !this.toDeadLetters),
    );
  }
  toString() {
    return this.toDeadLetters ? 'redrive(queue, to the dead-letter queue)' : 'redrive(dead-letter queue)';
  }
}

/** Redrive of one message of the dead-letter queue back to its source (an id ever stored there). */
class RedriveMessage implements Command {
  constructor(readonly index: number) {}
  check = (model: Readonly<QueueModel>) => (model.deadLetters?.queue.ids.length ?? 0) > 0;
  async run(model: QueueModel, real: Real) {
    const deadLetters = model.deadLetters?.queue as QueueModel;
    const id = deadLetters.ids[this.index % deadLetters.ids.length] as string;
    const message = deadLetters.messages.get(id);
    const call = real.engine.redriveMessage(deadLetters.queue, id, {});
    if (!message) return expectCode(call, 'MessageNotFound');
    // In flight, or not a dead letter (a topic's copy) without `to`: nothing moves.
    if (deadLetters.stateOf(message) === 'inFlight' || message.deadLetter === null)
      return expectCode(call, 'Conflict');
    expect(await call).toEqual({ queue: model.queue, id });
    deadLetters.redriveOne(message, model);
  }
  toString() {
    return `redriveMessage(dead letter #${this.index})`;
  }
}

const roleQueue = (real: Real, model: QueueModel, role: TopicSubscription['role']) =>
  role === 'queue'
    ? real.queue
    : role === 'full'
      ? real.fullQueue
      : (model.deadLetters?.queue.queue as string);

/** Puts the run's topic with these subscriptions (the dead-letter queue only when the run has one). */
class PutTopic implements Command {
  constructor(readonly subscriptions: TopicSubscription[]) {}
  check = () => true;
  async run(model: QueueModel, real: Real) {
    const subscriptions = this.subscriptions.filter((s) => s.role !== 'deadLetters' || model.deadLetters);
    const wire: Subscription[] = subscriptions.map((s) => ({
      queue: roleQueue(real, model, s.role),
      ...(s.filter ? { filter: s.filter } : {}),
    }));
    const { created } = await real.engine.putTopic(real.topic, wire);
    expect(created, 'created the first time only').toBe(model.topic === null);
    model.topic = subscriptions;
  }
  toString() {
    return `putTopic(${JSON.stringify(this.subscriptions)})`;
  }
}

const matches = (subscription: TopicSubscription, attributes: Record<string, string>) =>
  Object.entries(subscription.filter ?? {}).every(
    ([key, allowed]) => Object.hasOwn(attributes, key) && allowed.includes(attributes[key] as string),
  );

class PublishToTopic implements Command {
  constructor(readonly input: PublishInput) {}
  check = () => true;
  async run(model: QueueModel, real: Real) {
    const call = real.engine.publishToTopic(real.topic, this.input);
    if (model.topic === null) return expectCode(call, 'TopicNotFound');
    const attributes = this.input.attributes ?? {};
    const roles = [...new Set(model.topic.filter((s) => matches(s, attributes)).map((s) => s.role))];
    // All or nothing: a matching full queue fails the whole fan-out.
    if (roles.includes('full')) return expectCode(call, 'QueueFull');
    const result = await call;
    const models = roles.map((role) => (role === 'queue' ? model : (model.deadLetters?.queue as QueueModel)));
    const expected = models.map((target) => {
      const answer = target.answerFor(this.input);
      if (answer.duplicate) return { queue: target.queue, id: answer.id, duplicate: true };
      // Each queue's copy is a message of its own, with its own id.
      const id = result.deliveries.find((d) => d.queue === target.queue)?.id as string;
      expect(target.ids, 'message ids are unique').not.toContain(id);
      target.publish(id, this.input);
      return { queue: target.queue, id };
    });
    const byQueue = (a: { queue: string }, b: { queue: string }) => (a.queue < b.queue ? -1 : 1);
    expect([...result.deliveries].sort(byQueue), 'one delivery per matching queue').toEqual(
      expected.sort(byQueue),
    );
  }
  toString() {
    return `publishToTopic(${describeInput(this.input)})`;
  }
}

/** Attribute `k` of a topic publish, from few values so that filters match and miss. */
const kValue = fc.constantFrom('1', '2');
const subscription = fc
  .record(
    {
      role: fc.constantFrom<TopicSubscription['role']>(
        'queue',
        'queue',
        'deadLetters',
        'deadLetters',
        'full',
      ),
      filter: fc.constantFrom({ k: ['1'] }, { k: ['1', '2'] }, { k: ['2'] }),
    },
    { requiredKeys: ['role'] },
  )
  .map((s) => s as TopicSubscription);

/** Redrives the dead-letter queue back to the run's queue (when the model can say the outcome). */
export const redriveBack = (model: QueueModel, real: Real) => new Redrive(false).run(model, real);

export const redriveMessage = fc.nat({ max: 1_000 }).map((index) => new RedriveMessage(index));
export const redrive = fc.boolean().map((toDeadLetters) => new Redrive(toDeadLetters));
export const putTopic = fc
  .uniqueArray(subscription, { minLength: 1, maxLength: 3, selector: (s) => s.role })
  .map((subscriptions) => new PutTopic(subscriptions));
export const publishToTopic = (order: Order) =>
  fc
    .tuple(publishInput(order), fc.option(kValue, { nil: undefined }))
    .map(
      ([input, k]) =>
        new PublishToTopic(k === undefined ? input : { ...input, attributes: { ...input.attributes, k } }),
    );
