/** TagQueue, UntagQueue, ListQueueTags: tags live in the queue's SQS settings (settings.ts). */
import { type Action, loadQueue, queueOfInput } from '../context';
import { invalidParameterValue } from '../errors';
import { stringList, stringMap } from '../params';

const MAX_TAGS = 50;

export function checkTags(tags: Record<string, string>): void {
  for (const [key, value] of Object.entries(tags)) {
    if (key.length < 1 || key.length > 128 || value.length > 256) {
      throw invalidParameterValue(`Tag '${key}' is invalid: keys are 1–128 characters, values at most 256.`);
    }
  }
}

export const tagQueue: Action = async (context, input) => {
  const name = queueOfInput(input);
  const tags = stringMap(input, 'Tags');
  checkTags(tags);
  const { queue, settings } = await loadQueue(context, name);
  const merged = { ...settings.tags, ...tags };
  if (Object.keys(merged).length > MAX_TAGS) {
    throw invalidParameterValue(`Too many tags: a queue has at most ${MAX_TAGS}.`);
  }
  await context.settings.put(queue.name, { ...settings, tags: merged });
  return {};
};

export const untagQueue: Action = async (context, input) => {
  const name = queueOfInput(input);
  const keys = stringList(input, 'TagKeys');
  const { queue, settings } = await loadQueue(context, name);
  const tags = { ...settings.tags };
  for (const key of keys) delete tags[key];
  await context.settings.put(queue.name, { ...settings, tags });
  return {};
};

export const listQueueTags: Action = async (context, input) => {
  const { settings } = await loadQueue(context, queueOfInput(input));
  return Object.keys(settings.tags).length > 0 ? { Tags: settings.tags } : {};
};
