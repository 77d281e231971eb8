/** Redrive, purge and delete a queue; the last two only after a confirmation naming it. */
import { useState } from 'preact/hooks';
import { api } from '../api';
import { ActionForm } from '../components/action-form';
import { ConfirmDialog } from '../components/dialog';
import { Notice, TextField } from '../components/ui';
import { useAction } from '../hooks';
import { href, navigate } from '../router';
import { type Errors, hasErrors, integerField, NAME_PATTERN } from '../validate';

export function QueueActions({ name, onChanged }: { name: string; onChanged: () => void }) {
  return (
    <>
      <section aria-labelledby="redrive-heading" class="panel">
        <h2 id="redrive-heading">Redrive dead letters</h2>
        <RedriveForm name={name} onChanged={onChanged} />
      </section>
      <section aria-labelledby="danger-heading" class="panel danger-zone">
        <h2 id="danger-heading">Purge or delete</h2>
        <DangerButtons name={name} onChanged={onChanged} />
      </section>
    </>
  );
}

function RedriveForm({ name, onChanged }: { name: string; onChanged: () => void }) {
  const [to, setTo] = useState('');
  const [max, setMax] = useState('');
  const [errors, setErrors] = useState<Errors>({});
  const [done, setDone] = useState<string | undefined>(undefined);
  const action = useAction();
  return (
    <ActionForm
      onSubmit={async () => {
        const found: Errors = {};
        if (to !== '' && !NAME_PATTERN.test(to)) found.to = "A queue name: 1-80 letters, digits, '_' or '-'.";
        const maxMessages = integerField(found, 'max', max, 1);
        setErrors(found);
        setDone(undefined);
        if (hasErrors(found)) return;
        const result = await action.run(() => api.redrive(name, { to: to || undefined, maxMessages }));
        if (result) {
          setDone(`Moved ${result.value.moved} message${result.value.moved === 1 ? '' : 's'}.`);
          onChanged();
        }
      }}
      busy={action.busy}
      error={action.error}
      failed="Not redriven"
      done={done}
      label="Redrive"
      busyLabel="Redriving…"
    >
      <p class="muted">
        Moves messages out of this queue (used as a dead-letter queue) back to the queue each came from, or to
        the queue named here.
      </p>
      <div class="row">
        <TextField
          id="redrive-to"
          label="To queue (optional)"
          value={to}
          onInput={setTo}
          error={errors.to}
          hint="Empty: each message's source queue"
        />
        <TextField
          id="redrive-max"
          label="At most (optional)"
          value={max}
          onInput={setMax}
          error={errors.max}
          inputMode="numeric"
          hint="Empty: all"
        />
      </div>
    </ActionForm>
  );
}

function DangerButtons({ name, onChanged }: { name: string; onChanged: () => void }) {
  const [asking, setAsking] = useState<'purge' | 'delete' | undefined>(undefined);
  const [done, setDone] = useState<string | undefined>(undefined);
  const action = useAction();
  const close = () => {
    setAsking(undefined);
    action.clear();
  };
  return (
    <>
      <div class="actions">
        <button type="button" class="danger" onClick={() => setAsking('purge')}>
          Purge queue…
        </button>
        <button type="button" class="danger" onClick={() => setAsking('delete')}>
          Delete queue…
        </button>
      </div>
      {done ? <Notice>{done}</Notice> : null}
      <ConfirmDialog
        open={asking === 'purge'}
        title={`Purge queue ${name}?`}
        description={
          <p>
            Every message of queue <strong>{name}</strong>, in any state, is deleted for good. Outstanding
            receipts stop working. The queue and its configuration stay.
          </p>
        }
        confirmLabel={`Purge ${name}`}
        typeToConfirm={name}
        busy={action.busy}
        error={action.error}
        onCancel={close}
        onConfirm={async () => {
          if (await action.run(() => api.purge(name))) {
            setAsking(undefined);
            setDone(`Queue ${name} purged.`);
            onChanged();
          }
        }}
      />
      <ConfirmDialog
        open={asking === 'delete'}
        title={`Delete queue ${name}?`}
        description={
          <p>
            Queue <strong>{name}</strong> and all its messages are deleted for good.
          </p>
        }
        confirmLabel={`Delete ${name}`}
        typeToConfirm={name}
        busy={action.busy}
        error={action.error}
        onCancel={close}
        onConfirm={async () => {
          if (await action.run(() => api.deleteQueue(name))) {
            setAsking(undefined);
            navigate(href.queues());
          }
        }}
      />
    </>
  );
}
