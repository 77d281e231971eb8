/**
 * A queue's messages by state, one page at a time through the API's browse cursor: a page is
 * at most 100 messages, whatever the queue holds, so it stays fast on a queue of any size. Find
 * one by id (one GET) or by attribute (a bounded scan of browse pages: message-search.ts); select
 * rows to delete or redrive them.
 */
import { useState } from 'preact/hooks';
import { ApiError, api } from '../api';
import { formatCount } from '../format';
import { useAction, useLoad } from '../hooks';
import { href, navigate } from '../router';
import type { Message, MessageState } from '../types';
import { ATTRIBUTE_KEY_PATTERN } from '../validate';
import { BulkActions } from './bulk-actions';
import { type AttributeQuery, SCAN_PAGES, type ScanStep, scanForAttribute } from './message-search';
import { MessagesTable } from './messages-table';
import {
  type CursorStack,
  currentCursor,
  ErrorMessage,
  firstPage,
  nextPage,
  Pager,
  previousPage,
  TextField,
} from './ui';

type StateFilter = MessageState | 'all';
const PAGE_SIZES = [20, 50, 100];

interface Search {
  query: AttributeQuery;
  matches: Message[];
  scanned: number;
  cursor: string | null;
}

/**
 * `version` changes when something on the page changed the queue (publish, purge, …); the
 * queue page keys this by queue name, so another queue starts on its first page.
 */
export function MessageList({
  queue,
  version,
  onChanged,
}: {
  queue: string;
  version: number;
  onChanged: () => void;
}) {
  const [state, setState] = useState<StateFilter>('all');
  const [size, setSize] = useState(20);
  const [stack, setStack] = useState<CursorStack>(firstPage());
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [search, setSearch] = useState<Search | undefined>(undefined);
  const page = useLoad(
    () => api.browse(queue, state, size, currentCursor(stack)),
    [queue, state, size, stack, version],
  );
  // Another filter or size starts from the first page again.
  const choose = (nextState: StateFilter, nextSize: number) => {
    setState(nextState);
    setSize(nextSize);
    setStack(firstPage());
    setSelected(new Set());
  };
  const shown = search ? search.matches : (page.data?.messages ?? []);
  const select = (ids: string[], on: boolean) =>
    setSelected((previous) => {
      const next = new Set(previous);
      for (const id of ids) {
        if (on) next.add(id);
        else next.delete(id);
      }
      return next;
    });
  const afterBulk = () => {
    setSelected(new Set());
    if (search) setSearch({ ...search, matches: [] });
    onChanged();
  };

  return (
    <div class="stack">
      <FindForms
        queue={queue}
        state={state}
        onSearch={(found) => {
          setSelected(new Set());
          setSearch(found);
        }}
      />
      <div class="row toolbar">
        <div class="field">
          <label for="browse-state">State</label>
          <select
            id="browse-state"
            value={state}
            onChange={(event) => choose(event.currentTarget.value as StateFilter, size)}
          >
            <option value="all">All</option>
            <option value="ready">Ready</option>
            <option value="delayed">Delayed</option>
            <option value="inFlight">In flight</option>
          </select>
        </div>
        <div class="field">
          <label for="browse-size">Per page</label>
          <select
            id="browse-size"
            value={size}
            onChange={(event) => choose(state, Number(event.currentTarget.value))}
          >
            {PAGE_SIZES.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </div>
        <button type="button" onClick={page.reload} disabled={page.loading}>
          Refresh list
        </button>
      </div>
      {search ? <SearchSummary queue={queue} search={search} onChange={setSearch} /> : null}
      <BulkActions
        queue={queue}
        selected={shown.filter((message) => selected.has(message.id))}
        onDone={afterBulk}
      />
      {search ? null : <ErrorMessage error={page.error} context="The messages could not be listed" />}
      {!search && page.data && shown.length === 0 ? (
        <p>{stack.cursors.length > 1 ? 'No more messages.' : 'No messages in this state.'}</p>
      ) : null}
      {shown.length > 0 ? (
        <MessagesTable
          queue={queue}
          messages={shown}
          caption={search ? `Messages of ${queue} that match` : `Messages of ${queue}`}
          selected={selected}
          onSelect={select}
        />
      ) : null}
      {search ? null : (
        <Pager
          label="Message pages"
          page={stack.cursors.length}
          hasPrevious={stack.cursors.length > 1}
          hasNext={Boolean(page.data?.cursor)}
          busy={page.loading}
          onPrevious={() => {
            setSelected(new Set());
            setStack(previousPage(stack));
          }}
          onNext={() => {
            if (!page.data?.cursor) return;
            setSelected(new Set());
            setStack(nextPage(stack, page.data.cursor));
          }}
        />
      )}
    </div>
  );
}

/** Find by id (one GET, then the message's page) and by attribute (a bounded scan). */
function FindForms({
  queue,
  state,
  onSearch,
}: {
  queue: string;
  state: StateFilter;
  onSearch: (search: Search) => void;
}) {
  const [id, setId] = useState('');
  const [idError, setIdError] = useState<string | undefined>(undefined);
  const [key, setKey] = useState('');
  const [value, setValue] = useState('');
  const [keyError, setKeyError] = useState<string | undefined>(undefined);
  const find = useAction();
  const scan = useAction();
  return (
    <div class="find">
      <form
        class="row"
        noValidate
        aria-label="Find a message by id"
        onSubmit={async (event) => {
          event.preventDefault();
          const wanted = id.trim();
          setIdError(
            /^[A-Za-z0-9_-]{1,64}$/.test(wanted) ? undefined : 'A message id: 1-64 letters, digits, _ or -.',
          );
          if (!/^[A-Za-z0-9_-]{1,64}$/.test(wanted)) return;
          const found = await find.run(() => api.getMessage(queue, wanted));
          if (found) navigate(href.message(queue, found.value.id));
        }}
      >
        <TextField id="find-id" label="Message id" value={id} onInput={setId} error={idError} />
        <button type="submit" disabled={find.busy}>
          Find by id
        </button>
      </form>
      {find.error instanceof ApiError && find.error.code === 'MessageNotFound' ? (
        <p class="error" role="alert">
          No message {id.trim()} in queue {queue} (it may have been acknowledged, deleted or moved).
        </p>
      ) : (
        <ErrorMessage error={find.error} context="Not found" />
      )}
      <form
        class="row"
        noValidate
        aria-label="Find messages by attribute"
        onSubmit={async (event) => {
          event.preventDefault();
          const problem = ATTRIBUTE_KEY_PATTERN.test(key)
            ? undefined
            : 'A key: 1-64 letters, digits, . _ or -.';
          setKeyError(problem);
          if (problem) return;
          const query: AttributeQuery = { key, value, state };
          const step = await scan.run(() => scanForAttribute(queue, query));
          if (step) onSearch({ query, ...step.value });
        }}
      >
        <TextField id="find-key" label="Attribute key" value={key} onInput={setKey} error={keyError} />
        <TextField id="find-value" label="Value" value={value} onInput={setValue} hint="Empty: any value" />
        <button type="submit" disabled={scan.busy}>
          {scan.busy ? 'Searching…' : 'Find by attribute'}
        </button>
      </form>
      <ErrorMessage error={scan.error} context="The search stopped" />
    </div>
  );
}

/** What a scan read and found, going on from where it stopped, and back to the pages. */
function SearchSummary({
  queue,
  search,
  onChange,
}: {
  queue: string;
  search: Search;
  onChange: (search: Search | undefined) => void;
}) {
  const more = useAction();
  const { key, value } = search.query;
  const what = value === '' ? `with attribute ${key}` : `with ${key} = ${value}`;
  return (
    <div class="search-summary row">
      <p role="status">
        {formatCount(search.matches.length)} message{search.matches.length === 1 ? '' : 's'} {what} among the{' '}
        {formatCount(search.scanned)} read
        {search.cursor === null
          ? ' (all of them in this state).'
          : ` (the search reads at most ${SCAN_PAGES * 100} messages at a time; there are more).`}
      </p>
      {search.cursor !== null ? (
        <button
          type="button"
          disabled={more.busy}
          onClick={async () => {
            const step = await more.run<ScanStep>(() =>
              scanForAttribute(queue, search.query, search.cursor ?? undefined),
            );
            if (step) {
              onChange({
                query: search.query,
                matches: [...search.matches, ...step.value.matches],
                scanned: search.scanned + step.value.scanned,
                cursor: step.value.cursor,
              });
            }
          }}
        >
          {more.busy ? 'Searching…' : 'Search further'}
        </button>
      ) : null}
      <button type="button" onClick={() => onChange(undefined)}>
        Back to all messages
      </button>
      <ErrorMessage error={more.error} context="The search stopped" />
    </div>
  );
}
