/** The topics, a page at a time, with their subscriptions and filters; create a topic. */
import { useState } from 'preact/hooks';
import { ApiError, api, ConsoleError } from '../api';
import { ActionForm } from '../components/action-form';
import { type SubscriptionRow, SubscriptionsEditor } from '../components/subscriptions-editor';
import {
  type CursorStack,
  currentCursor,
  ErrorMessage,
  firstPage,
  nextPage,
  Pager,
  previousPage,
  TextField,
} from '../components/ui';
import { useLoad } from '../hooks';
import { href } from '../router';
import type { TopicSubscription } from '../types';
import { checkName, type Errors, hasErrors, NAME_PATTERN, parseFilter } from '../validate';

const PAGE_SIZE = 20;

/** The rows as the API takes them; wholly empty rows are left out. */
export function subscriptionsOf(errors: Errors, rows: SubscriptionRow[]): TopicSubscription[] {
  const subscriptions: TopicSubscription[] = [];
  rows.forEach((row, index) => {
    if (row.queue === '' && row.filter.trim() === '') return;
    if (!NAME_PATTERN.test(row.queue)) {
      errors[`subscription.${index}.queue`] = "A queue name: 1-80 letters, digits, '_' or '-'.";
    }
    const filter = parseFilter(errors, `subscription.${index}.filter`, row.filter);
    subscriptions.push(filter === undefined ? { queue: row.queue } : { queue: row.queue, filter });
  });
  return subscriptions;
}

export const filterText = (filter: Record<string, string[]> | undefined) =>
  filter === undefined ? '' : JSON.stringify(filter);

export function TopicsPage() {
  const [stack, setStack] = useState<CursorStack>(firstPage());
  const list = useLoad(() => api.listTopics(PAGE_SIZE, currentCursor(stack)), [stack]);
  const topics = list.data?.topics ?? [];
  return (
    <>
      <h1>Topics</h1>
      <section aria-labelledby="topic-list-heading">
        <h2 id="topic-list-heading">All topics</h2>
        <ErrorMessage error={list.error} context="The topics could not be listed" />
        {list.data && topics.length === 0 && stack.cursors.length === 1 ? <p>No topics yet.</p> : null}
        {topics.length > 0 ? (
          <div class="table-wrap">
            <table>
              <caption class="visually-hidden">Topics and their subscriptions</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Subscriptions (queue and filter)</th>
                </tr>
              </thead>
              <tbody>
                {topics.map((topic) => (
                  <tr key={topic.name}>
                    <th scope="row">
                      <a href={href.topic(topic.name)}>{topic.name}</a>
                    </th>
                    <td>
                      {topic.subscriptions.length === 0 ? (
                        <span class="muted">none</span>
                      ) : (
                        <ul class="plain">
                          {topic.subscriptions.map((subscription) => (
                            <li key={subscription.queue}>
                              <a href={href.queue(subscription.queue)}>{subscription.queue}</a>
                              {subscription.filter ? (
                                <span class="mono muted"> {filterText(subscription.filter)}</span>
                              ) : (
                                <span class="muted"> every message</span>
                              )}
                            </li>
                          ))}
                        </ul>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
        <Pager
          label="Topic pages"
          page={stack.cursors.length}
          hasPrevious={stack.cursors.length > 1}
          hasNext={Boolean(list.data?.cursor)}
          busy={list.loading}
          onPrevious={() => setStack(previousPage(stack))}
          onNext={() => list.data?.cursor && setStack(nextPage(stack, list.data.cursor))}
        />
      </section>
      <section aria-labelledby="create-topic-heading" class="panel">
        <h2 id="create-topic-heading">Create a topic</h2>
        <CreateTopicForm onCreated={list.reload} />
      </section>
    </>
  );
}

function CreateTopicForm({ onCreated }: { onCreated: () => void }) {
  const [name, setName] = useState('');
  const [rows, setRows] = useState<SubscriptionRow[]>([{ queue: '', filter: '' }]);
  const [errors, setErrors] = useState<Errors>({});
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<unknown>(undefined);
  const [done, setDone] = useState<string | undefined>(undefined);

  const submit = async () => {
    const found: Errors = {};
    const problem = checkName(name, 'topic');
    if (problem) found.name = problem;
    const subscriptions = subscriptionsOf(found, rows);
    setErrors(found);
    setFailure(undefined);
    setDone(undefined);
    if (hasErrors(found)) return;
    setBusy(true);
    try {
      const exists = await api.getTopic(name).then(
        () => true,
        (error: unknown) => {
          if (error instanceof ApiError && error.code === 'TopicNotFound') return false;
          throw error;
        },
      );
      if (exists) throw new ConsoleError(`A topic named ${name} already exists; open it to change it.`);
      await api.putTopic(name, subscriptions);
      setDone(`Topic ${name} created.`);
      setName('');
      onCreated();
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
      failed="Not created"
      done={done}
      label="Create topic"
      busyLabel="Creating…"
      primary
    >
      <TextField
        id="create-topic-name"
        label="Topic name"
        value={name}
        onInput={setName}
        error={errors.name}
        required
        hint="1-80 letters, digits, _ or -"
      />
      <SubscriptionsEditor idPrefix="create-topic-sub" rows={rows} onChange={setRows} errors={errors} />
    </ActionForm>
  );
}
