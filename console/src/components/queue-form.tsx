/**
 * A queue's configuration: the create form (name, order, settings left empty take the API's
 * defaults) and the edit form (prefilled; order is fixed after creation). Checked like the API
 * checks a PUT, the configuration as a whole included.
 */
import { useState } from 'preact/hooks';
import type { Queue, QueueConfig, QueueOrder } from '../types';
import { checkName, type Errors, hasErrors, integerField, NAME_PATTERN } from '../validate';
import { ActionForm } from './action-form';
import { Field, TextField } from './ui';

/** Attribute names (docs/api.md), which groupLimits.key names. */
const ATTRIBUTE_KEY = /^[A-Za-z0-9_.-]{1,64}$/;

type NumberField =
  | 'visibilityTimeoutSeconds'
  | 'delaySeconds'
  | 'retentionSeconds'
  | 'maxMessages'
  | 'deduplicationWindowSeconds'
  | 'shards';

/** Each number setting: label, range and the API's default. */
const NUMBER_FIELDS: { field: NumberField; label: string; min: number; max?: number; hint: string }[] = [
  {
    field: 'visibilityTimeoutSeconds',
    label: 'Visibility timeout (s)',
    min: 0,
    max: 43_200,
    hint: '0 to 43,200; default 30',
  },
  {
    field: 'delaySeconds',
    label: 'Default delay (s)',
    min: 0,
    max: 31_536_000,
    hint: '0 to 31,536,000; default 0',
  },
  {
    field: 'retentionSeconds',
    label: 'Retention (s)',
    min: 60,
    max: 31_536_000,
    hint: '60 to 31,536,000; default 345,600',
  },
  { field: 'maxMessages', label: 'Max messages', min: 0, hint: '0 = unbounded (default)' },
  {
    field: 'deduplicationWindowSeconds',
    label: 'Deduplication window (s)',
    min: 0,
    max: 86_400,
    hint: '0 to 86,400; default 300',
  },
  {
    field: 'shards',
    label: 'Shards',
    min: 1,
    max: 1_024,
    hint: '1 to 1,024, about 175 messages/s each; default 1; may only grow',
  },
];

interface QueueFormProps {
  /** The queue being edited; none for the create form. */
  queue?: Queue;
  idPrefix: string;
  /** Sends the PUT; resolves with a line that says what happened. */
  save: (name: string, config: Partial<QueueConfig>) => Promise<string>;
}

/** The rate limit as the API takes it (null: none), or null with the fields' errors noted. */
function rateField(errors: Errors, perSecondText: string, burstText: string): QueueConfig['rateLimit'] {
  const burst = integerField(errors, 'rateBurst', burstText, 1);
  const trimmed = perSecondText.trim();
  if (trimmed === '') {
    if (burst !== undefined) errors.rateBurst = 'Needs a rate limit.';
    return null;
  }
  const perSecond = Number(trimmed);
  if (!/^\d+(\.\d+)?$/.test(trimmed) || !(perSecond > 0)) {
    errors.ratePerSecond = 'Enter a number above 0.';
    return null;
  }
  return burst === undefined ? { perSecond } : { perSecond, burst };
}

/** A number above 0, or undefined (empty, or an error noted under `field`). */
function positiveField(errors: Errors, field: string, text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  const value = Number(trimmed);
  if (!/^\d+(\.\d+)?$/.test(trimmed) || !(value > 0)) {
    errors[field] = 'Enter a number above 0.';
    return undefined;
  }
  return value;
}

export function QueueForm({ queue, idPrefix, save }: QueueFormProps) {
  const text = (value: number | null | undefined) =>
    value === null || value === undefined ? '' : String(value);
  const [name, setName] = useState('');
  const [order, setOrder] = useState<QueueOrder>(queue?.order ?? 'fifo');
  const [numbers, setNumbers] = useState<Record<NumberField, string>>(() => ({
    visibilityTimeoutSeconds: text(queue?.visibilityTimeoutSeconds),
    delaySeconds: text(queue?.delaySeconds),
    retentionSeconds: text(queue?.retentionSeconds),
    maxMessages: text(queue?.maxMessages),
    deduplicationWindowSeconds: text(queue?.deduplicationWindowSeconds),
    shards: text(queue?.shards),
  }));
  const [deadLetterQueue, setDeadLetterQueue] = useState(queue?.deadLetterQueue ?? '');
  const [maxReceiveCount, setMaxReceiveCount] = useState(text(queue?.maxReceiveCount));
  const [perSecond, setPerSecond] = useState(text(queue?.rateLimit?.perSecond));
  const [burst, setBurst] = useState(text(queue?.rateLimit?.burst));
  const [groupInFlight, setGroupInFlight] = useState(text(queue?.groupLimits?.maxInFlight));
  const [groupRate, setGroupRate] = useState(text(queue?.groupLimits?.perSecond));
  const [groupKey, setGroupKey] = useState(queue?.groupLimits?.key ?? '');
  const [errors, setErrors] = useState<Errors>({});
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<unknown>(undefined);
  const [done, setDone] = useState<string | undefined>(undefined);
  const id = (field: string) => `${idPrefix}-${field}`;

  const submit = async () => {
    const found: Errors = {};
    const target = queue?.name ?? name;
    if (!queue) {
      const problem = checkName(name, 'queue');
      if (problem) found.name = problem;
    }
    const config: Partial<QueueConfig> = {};
    if (!queue) config.order = order;
    for (const { field, min, max } of NUMBER_FIELDS) {
      const value = integerField(found, field, numbers[field], min, max);
      if (value !== undefined) config[field] = value;
      else if (queue && numbers[field].trim() === '') found[field] = 'Enter a value.';
    }
    if (deadLetterQueue !== '' && !NAME_PATTERN.test(deadLetterQueue)) {
      found.deadLetterQueue = "A queue name: 1-80 letters, digits, '_' or '-'.";
    } else if (deadLetterQueue !== '' && deadLetterQueue === target) {
      found.deadLetterQueue = 'A queue cannot be its own dead-letter queue.';
    }
    const receives = integerField(found, 'maxReceiveCount', maxReceiveCount, 1, 1_000);
    if (receives !== undefined && deadLetterQueue === '') {
      found.maxReceiveCount = 'Needs a dead-letter queue.';
    }
    if (queue || deadLetterQueue !== '')
      config.deadLetterQueue = deadLetterQueue === '' ? null : deadLetterQueue;
    if (queue || receives !== undefined) config.maxReceiveCount = receives ?? null;
    const rate = rateField(found, perSecond, burst);
    if (queue || rate !== null) config.rateLimit = rate;
    const inFlight = integerField(found, 'groupInFlight', groupInFlight, 1, 1_000);
    const starts = positiveField(found, 'groupPerSecond', groupRate);
    const key = groupKey.trim() === '' ? undefined : groupKey.trim();
    if (key !== undefined && !ATTRIBUTE_KEY.test(key)) {
      found.groupKey = "An attribute name: 1-64 letters, digits, '_', '.' or '-'.";
    }
    if (queue || inFlight !== undefined || starts !== undefined || key !== undefined) {
      config.groupLimits =
        inFlight === undefined && starts === undefined && key === undefined
          ? null
          : {
              ...(inFlight === undefined ? {} : { maxInFlight: inFlight }),
              ...(starts === undefined ? {} : { perSecond: starts }),
              ...(key === undefined ? {} : { key }),
            };
    }
    setErrors(found);
    setFailure(undefined);
    setDone(undefined);
    if (hasErrors(found)) return;
    setBusy(true);
    try {
      setDone(await save(target, config));
      if (!queue) setName('');
    } catch (error) {
      setFailure(error);
    } finally {
      setBusy(false);
    }
  };

  return (
    <ActionForm
      onSubmit={submit}
      busy={busy}
      error={failure}
      failed={queue ? 'Not saved' : 'Not created'}
      done={done}
      label={queue ? 'Save configuration' : 'Create queue'}
      busyLabel="Saving…"
      primary
    >
      <div class="row">
        {queue ? null : (
          <TextField
            id={id('name')}
            label="Queue name"
            value={name}
            onInput={setName}
            error={errors.name}
            required
            hint="1-80 letters, digits, _ or -"
          />
        )}
        <Field
          id={id('order')}
          label="Order"
          hint={queue ? 'Fixed once the queue exists' : 'fifo (default) or lifo'}
        >
          {(describedBy) => (
            <select
              id={id('order')}
              value={order}
              disabled={Boolean(queue)}
              aria-describedby={describedBy}
              onChange={(event) => setOrder(event.currentTarget.value as QueueOrder)}
            >
              <option value="fifo">fifo</option>
              <option value="lifo">lifo</option>
            </select>
          )}
        </Field>
      </div>
      <div class="grid">
        {NUMBER_FIELDS.map(({ field, label, hint }) => (
          <TextField
            key={field}
            id={id(field)}
            label={label}
            value={numbers[field]}
            onInput={(value) => setNumbers((previous) => ({ ...previous, [field]: value }))}
            error={errors[field]}
            inputMode="numeric"
            hint={hint}
          />
        ))}
        <TextField
          id={id('deadLetterQueue')}
          label="Dead-letter queue"
          value={deadLetterQueue}
          onInput={setDeadLetterQueue}
          error={errors.deadLetterQueue}
          hint="An existing queue; empty for none"
        />
        <TextField
          id={id('maxReceiveCount')}
          label="Max receive count"
          value={maxReceiveCount}
          onInput={setMaxReceiveCount}
          error={errors.maxReceiveCount}
          inputMode="numeric"
          hint="1 to 1,000; needs a dead-letter queue"
        />
        <TextField
          id={id('ratePerSecond')}
          label="Rate limit (messages/s)"
          value={perSecond}
          onInput={setPerSecond}
          error={errors.ratePerSecond}
          inputMode="text"
          hint="Deliveries a second across all consumers; empty for none"
        />
        <TextField
          id={id('rateBurst')}
          label="Burst"
          value={burst}
          onInput={setBurst}
          error={errors.rateBurst}
          inputMode="numeric"
          hint="At least 1; default: one second's worth"
        />
        <TextField
          id={id('groupInFlight')}
          label="In flight per message group"
          value={groupInFlight}
          onInput={setGroupInFlight}
          error={errors.groupInFlight}
          inputMode="numeric"
          hint="1 to 1,000 of a group at once, oldest first; empty for one"
        />
        <TextField
          id={id('groupPerSecond')}
          label="Starts per second per message group"
          value={groupRate}
          onInput={setGroupRate}
          error={errors.groupPerSecond}
          inputMode="text"
          hint="A group's first deliveries a second, one at a time; empty for none"
        />
        <TextField
          id={id('groupKey')}
          label="Limit key attribute"
          value={groupKey}
          onInput={setGroupKey}
          error={errors.groupKey}
          inputMode="text"
          hint="Group limits per value of this attribute, for messages without a group id; empty for none"
        />
      </div>
    </ActionForm>
  );
}
