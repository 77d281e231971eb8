/**
 * Publish a message to a queue or a topic: body, delay or due time, priority, group,
 * deduplication id and attributes, checked like the API checks them.
 */
import { useState } from 'preact/hooks';
import type { PublishInput } from '../types';
import {
  type AttributeRow,
  attributesOf,
  checkPayloadSize,
  dueTimeField,
  type Errors,
  hasErrors,
  integerField,
  optionalText,
  parseBody,
} from '../validate';
import { ActionForm } from './action-form';
import { AttributesEditor } from './attributes-editor';
import { Field, TextField } from './ui';

type Timing = 'now' | 'delay' | 'dueTime';

interface PublishFormProps {
  /** For ids: two forms on a page must not share them. */
  idPrefix: string;
  /** A fifo queue or a topic takes a groupId; a lifo queue does not. */
  allowGroup: boolean;
  /** Sends the request; resolves with a line that says what happened. */
  publish: (input: PublishInput) => Promise<string>;
}

export function PublishForm({ idPrefix, allowGroup, publish }: PublishFormProps) {
  const [body, setBody] = useState('');
  const [asJson, setAsJson] = useState(true);
  const [timing, setTiming] = useState<Timing>('now');
  const [delay, setDelay] = useState('');
  const [dueTime, setDueTime] = useState('');
  const [priority, setPriority] = useState('0');
  const [groupId, setGroupId] = useState('');
  const [dedupId, setDedupId] = useState('');
  const [attributes, setAttributes] = useState<AttributeRow[]>([{ key: '', value: '' }]);
  const [errors, setErrors] = useState<Errors>({});
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<unknown>(undefined);
  const [done, setDone] = useState<string | undefined>(undefined);
  const id = (name: string) => `${idPrefix}-${name}`;

  const submit = async () => {
    const found: Errors = {};
    const input: PublishInput = { body: parseBody(found, body, asJson) };
    if (timing === 'delay') {
      input.delaySeconds = integerField(found, 'delay', delay, 0, 31_536_000);
      if (delay.trim() === '') found.delay = 'Enter a delay in seconds.';
    }
    if (timing === 'dueTime') input.deliverAt = dueTimeField(found, 'dueTime', dueTime);
    input.priority = integerField(found, 'priority', priority, 0, 9);
    if (allowGroup) input.groupId = optionalText(found, 'groupId', groupId, 'Group id');
    input.deduplicationId = optionalText(found, 'dedupId', dedupId, 'Deduplication id');
    input.attributes = attributesOf(found, attributes);
    checkPayloadSize(found, input.body, input.attributes);
    setErrors(found);
    setDone(undefined);
    setFailure(undefined);
    if (hasErrors(found)) return;
    for (const key of Object.keys(input) as (keyof PublishInput)[]) {
      if (input[key] === undefined) delete input[key];
    }
    setBusy(true);
    try {
      setDone(await publish(input));
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
      failed="Not published"
      done={done}
      label="Publish"
      busyLabel="Publishing…"
      primary
    >
      <Field id={id('body')} label="Body" error={errors.body} hint={'JSON, e.g. {"orderId": 42}'}>
        {(describedBy, invalid) => (
          <textarea
            id={id('body')}
            rows={5}
            value={body}
            spellcheck={false}
            aria-invalid={invalid ? 'true' : undefined}
            aria-describedby={describedBy}
            onInput={(event) => setBody(event.currentTarget.value)}
          />
        )}
      </Field>
      <div class="check">
        <input
          id={id('as-json')}
          type="checkbox"
          checked={asJson}
          onChange={(event) => setAsJson(event.currentTarget.checked)}
        />
        <label for={id('as-json')}>Body is JSON (untick to send the text as a string)</label>
      </div>
      <fieldset>
        <legend>When</legend>
        {(
          [
            ['now', 'Now (or the queue’s default delay)'],
            ['delay', 'After a delay'],
            ['dueTime', 'At a due time'],
          ] as const
        ).map(([value, label]) => (
          <div class="check" key={value}>
            <input
              id={id(`timing-${value}`)}
              type="radio"
              name={id('timing')}
              value={value}
              checked={timing === value}
              onChange={() => setTiming(value)}
            />
            <label for={id(`timing-${value}`)}>{label}</label>
          </div>
        ))}
        {timing === 'delay' ? (
          <TextField
            id={id('delay')}
            label="Delay in seconds"
            value={delay}
            onInput={setDelay}
            error={errors.delay}
            inputMode="numeric"
            hint="0 to 31,536,000"
          />
        ) : null}
        {timing === 'dueTime' ? (
          <TextField
            id={id('due-time')}
            label="Due time (your time zone)"
            type="datetime-local"
            value={dueTime}
            onInput={setDueTime}
            error={errors.dueTime}
            hint="At most 365 days ahead; a past time means now"
          />
        ) : null}
      </fieldset>
      <div class="row">
        <TextField
          id={id('priority')}
          label="Priority"
          value={priority}
          onInput={setPriority}
          error={errors.priority}
          inputMode="numeric"
          hint="0 to 9, higher first"
        />
        {allowGroup ? (
          <TextField
            id={id('group')}
            label="Group id (optional)"
            value={groupId}
            onInput={setGroupId}
            error={errors.groupId}
          />
        ) : null}
        <TextField
          id={id('dedup')}
          label="Deduplication id (optional)"
          value={dedupId}
          onInput={setDedupId}
          error={errors.dedupId}
        />
      </div>
      <AttributesEditor idPrefix={id('attr')} rows={attributes} onChange={setAttributes} errors={errors} />
    </ActionForm>
  );
}
