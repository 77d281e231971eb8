/** Redrive of one message: back to its dead letter's source queue, or to the queue named here. */
import { useState } from 'preact/hooks';
import { api } from '../api';
import { ActionForm } from '../components/action-form';
import { TextField } from '../components/ui';
import { useAction } from '../hooks';
import type { Message, RedriveMessageResult } from '../types';
import { NAME_PATTERN } from '../validate';

interface Props {
  queue: string;
  message: Message;
  onMoved: (result: RedriveMessageResult) => void;
}

export function RedriveMessageForm({ queue, message, onMoved }: Props) {
  const [to, setTo] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const action = useAction();
  const source = message.deadLetter?.sourceQueue;
  return (
    <ActionForm
      onSubmit={async () => {
        const target = to.trim();
        const problem =
          target === ''
            ? source === undefined
              ? 'Name the queue to move it to: it is not a dead letter.'
              : undefined
            : !NAME_PATTERN.test(target)
              ? "A queue name: 1-80 letters, digits, '_' or '-'."
              : target === queue
                ? 'It is in this queue already.'
                : undefined;
        setError(problem);
        if (problem) return;
        const result = await action.run(() =>
          api.redriveMessage(queue, message.id, target === '' ? {} : { to: target }),
        );
        if (result) onMoved(result.value);
      }}
      busy={action.busy}
      error={action.error}
      failed="Not moved"
      label="Redrive message"
      busyLabel="Moving…"
    >
      <p class="muted">
        {source === undefined
          ? 'Moves this message to another queue as a fresh message (receive count 0), keeping its id, body and attributes.'
          : `Moves this dead letter back to ${source}, or to the queue named here, as a fresh message (receive count 0).`}
      </p>
      <TextField
        id="redrive-message-to"
        label={source === undefined ? 'To queue' : 'To queue (optional)'}
        value={to}
        onInput={setTo}
        error={error}
        hint={source === undefined ? undefined : `Empty: back to ${source}`}
      />
    </ActionForm>
  );
}
