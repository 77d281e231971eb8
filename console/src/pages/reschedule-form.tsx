/** Reschedule a ready or delayed message: a new due time (delay or time) and/or priority. */
import { useState } from 'preact/hooks';
import { api } from '../api';
import { ActionForm } from '../components/action-form';
import { TextField } from '../components/ui';
import { useAction } from '../hooks';
import type { Message } from '../types';
import { dueTimeField, type Errors, hasErrors, integerField } from '../validate';

type Timing = 'keep' | 'delay' | 'dueTime';

export function RescheduleForm({
  queue,
  message,
  onDone,
}: {
  queue: string;
  message: Message;
  onDone: () => void;
}) {
  const [timing, setTiming] = useState<Timing>('keep');
  const [delay, setDelay] = useState('');
  const [dueTime, setDueTime] = useState('');
  const [priority, setPriority] = useState(String(message.priority));
  const [errors, setErrors] = useState<Errors>({});
  const [done, setDone] = useState<string | undefined>(undefined);
  const action = useAction();

  const submit = async () => {
    const found: Errors = {};
    const input: { delaySeconds?: number; deliverAt?: string; priority?: number } = {};
    if (timing === 'delay') {
      input.delaySeconds = integerField(found, 'delay', delay, 0, 31_536_000);
      if (delay.trim() === '') found.delay = 'Enter a delay in seconds.';
    }
    if (timing === 'dueTime') input.deliverAt = dueTimeField(found, 'dueTime', dueTime);
    const newPriority = integerField(found, 'priority', priority, 0, 9);
    if (newPriority !== undefined && newPriority !== message.priority) input.priority = newPriority;
    if (!hasErrors(found) && timing === 'keep' && input.priority === undefined) {
      found.priority = 'Change the due time or the priority.';
    }
    setErrors(found);
    setDone(undefined);
    if (hasErrors(found)) return;
    if (await action.run(() => api.reschedule(queue, message.id, input))) {
      setDone('Rescheduled.');
      onDone();
    }
  };

  return (
    <ActionForm
      onSubmit={submit}
      busy={action.busy}
      error={action.error}
      failed="Not rescheduled"
      done={done}
      label="Reschedule"
      busyLabel="Rescheduling…"
    >
      <fieldset>
        <legend>Due</legend>
        {(
          [
            ['keep', 'Keep the due time'],
            ['delay', 'After a delay from now'],
            ['dueTime', 'At a due time'],
          ] as const
        ).map(([value, label]) => (
          <div class="check" key={value}>
            <input
              id={`reschedule-timing-${value}`}
              type="radio"
              name="reschedule-timing"
              checked={timing === value}
              onChange={() => setTiming(value)}
            />
            <label for={`reschedule-timing-${value}`}>{label}</label>
          </div>
        ))}
        {timing === 'delay' ? (
          <TextField
            id="reschedule-delay"
            label="Delay in seconds"
            value={delay}
            onInput={setDelay}
            error={errors.delay}
            inputMode="numeric"
          />
        ) : null}
        {timing === 'dueTime' ? (
          <TextField
            id="reschedule-due-time"
            label="Due time (your time zone)"
            type="datetime-local"
            value={dueTime}
            onInput={setDueTime}
            error={errors.dueTime}
          />
        ) : null}
      </fieldset>
      <TextField
        id="reschedule-priority"
        label="Priority"
        value={priority}
        onInput={setPriority}
        error={errors.priority}
        inputMode="numeric"
        hint="0 to 9"
      />
    </ActionForm>
  );
}
