/** One topic: its subscriptions (editable), publishing to it, deleting it. */
import { useState } from 'preact/hooks';
import { ApiError, api } from '../api';
import { ActionForm } from '../components/action-form';
import { ConfirmDialog } from '../components/dialog';
import { PublishForm } from '../components/publish-form';
import { type SubscriptionRow, SubscriptionsEditor } from '../components/subscriptions-editor';
import { ErrorMessage } from '../components/ui';
import { formatTime } from '../format';
import { useAction, useLoad } from '../hooks';
import { href, navigate } from '../router';
import type { Topic } from '../types';
import { type Errors, hasErrors } from '../validate';
import { filterText, subscriptionsOf } from './topics';

export function TopicPage({ name }: { name: string }) {
  const topic = useLoad(() => api.getTopic(name), [name]);
  const [asking, setAsking] = useState(false);
  const remove = useAction();
  const gone = topic.error instanceof ApiError && topic.error.code === 'TopicNotFound';
  return (
    <>
      <p class="breadcrumb">
        <a href={href.topics()}>Topics</a> / <span>{name}</span>
      </p>
      <h1>
        Topic <span class="mono">{name}</span>
      </h1>
      <ErrorMessage
        error={topic.error}
        context={gone ? 'This topic does not exist' : 'The topic could not be read'}
      />
      {topic.data && !gone ? (
        <div class="columns">
          <div class="main-column">
            <section aria-labelledby="subscriptions-heading" class="panel">
              <h2 id="subscriptions-heading">Subscriptions</h2>
              <p class="muted">Created {formatTime(topic.data.createdAt)}.</p>
              <SubscriptionsForm key={topic.data.createdAt} topic={topic.data} onSaved={topic.reload} />
            </section>
            <section aria-labelledby="topic-danger-heading" class="panel danger-zone">
              <h2 id="topic-danger-heading">Delete</h2>
              <button type="button" class="danger" onClick={() => setAsking(true)}>
                Delete topic…
              </button>
            </section>
          </div>
          <div class="side-column">
            <section aria-labelledby="topic-publish-heading" class="panel">
              <h2 id="topic-publish-heading">Publish to this topic</h2>
              <PublishForm
                idPrefix="topic-publish"
                allowGroup
                publish={async (input) => {
                  const answer = await api.publishToTopic(name, input);
                  if (answer.deliveries.length === 0)
                    return 'Published; no subscription matched, so no queue got it.';
                  const queues = answer.deliveries
                    .map((delivery) => `${delivery.queue}${delivery.duplicate ? ' (duplicate)' : ''}`)
                    .join(', ');
                  return `Published to ${answer.deliveries.length} queue${answer.deliveries.length === 1 ? '' : 's'}: ${queues}.`;
                }}
              />
            </section>
          </div>
        </div>
      ) : null}
      <ConfirmDialog
        open={asking}
        title={`Delete topic ${name}?`}
        description={
          <p>
            Topic <strong>{name}</strong> is deleted; its queues and their messages stay.
          </p>
        }
        confirmLabel={`Delete ${name}`}
        typeToConfirm={name}
        busy={remove.busy}
        error={remove.error}
        onCancel={() => {
          setAsking(false);
          remove.clear();
        }}
        onConfirm={async () => {
          if (await remove.run(() => api.deleteTopic(name))) {
            setAsking(false);
            navigate(href.topics());
          }
        }}
      />
    </>
  );
}

function SubscriptionsForm({ topic, onSaved }: { topic: Topic; onSaved: () => void }) {
  const [rows, setRows] = useState<SubscriptionRow[]>(() =>
    topic.subscriptions.map((s) => ({ queue: s.queue, filter: filterText(s.filter) })),
  );
  const [errors, setErrors] = useState<Errors>({});
  const [done, setDone] = useState<string | undefined>(undefined);
  const action = useAction();
  return (
    <ActionForm
      onSubmit={async () => {
        const found: Errors = {};
        const subscriptions = subscriptionsOf(found, rows);
        setErrors(found);
        setDone(undefined);
        if (hasErrors(found)) return;
        if (await action.run(() => api.putTopic(topic.name, subscriptions))) {
          setDone('Subscriptions saved.');
          onSaved();
        }
      }}
      busy={action.busy}
      error={action.error}
      failed="Not saved"
      done={done}
      label="Save subscriptions"
      busyLabel="Saving…"
      primary
    >
      <SubscriptionsEditor idPrefix="topic-sub" rows={rows} onChange={setRows} errors={errors} />
    </ActionForm>
  );
}
