/**
 * The console's only way to the server: the HTTP contract of docs/api.md, on the page's own
 * origin (`/v1/...`). Errors become ApiError with the contract's `code`; a 401 also tells the
 * token prompt (token.ts) to ask.
 */
import { authRequired, readToken } from './token';
import type {
  BrowsePage,
  ConsumerStatus,
  Message,
  MessageState,
  PublishInput,
  PublishResult,
  Queue,
  QueueConfig,
  QueueRates,
  QueueWithCounts,
  RedriveMessageResult,
  RedriveResult,
  Schedule,
  ScheduleDefinition,
  Topic,
  TopicPublishAnswer,
  TopicSubscription,
} from './types';

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** A problem the console itself found (not an API answer): shown as its message. */
export class ConsoleError extends Error {
  override name = 'ConsoleError';
}

type Method = 'GET' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';

/** Encodes each path segment: names are safe already, message ids are opaque. */
const path = (...segments: string[]) => `/v1/${segments.map(encodeURIComponent).join('/')}`;

export async function call<T>(method: Method, url: string, body?: unknown): Promise<T> {
  // Marks the console's own calls: `postbox ui` forwards only these (a cross-site page cannot
  // add a custom header without a CORS preflight, which it never gets).
  const headers: Record<string, string> = { Accept: 'application/json', 'X-Postbox-Console': '1' };
  const token = readToken();
  if (token !== undefined) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch (error) {
    throw new ApiError(0, 'NetworkError', `The server could not be reached (${(error as Error).message}).`);
  }
  const text = await response.text();
  let data: unknown;
  try {
    data = text === '' ? undefined : JSON.parse(text);
  } catch {
    data = undefined;
  }
  if (!response.ok) {
    const error = errorOf(response.status, data, text);
    if (response.status === 401) authRequired(token !== undefined);
    throw error;
  }
  return data as T;
}

/** The contract's error body, or what API Gateway or a proxy answered instead. */
function errorOf(status: number, data: unknown, text: string): ApiError {
  const body = (data ?? {}) as { error?: { code?: unknown; message?: unknown }; message?: unknown };
  const code = typeof body.error?.code === 'string' ? body.error.code : `HTTP${status}`;
  const message =
    typeof body.error?.message === 'string'
      ? body.error.message
      : typeof body.message === 'string'
        ? body.message
        : text.slice(0, 200) || `The server answered ${status}.`;
  return new ApiError(status, code, message);
}

/** An error in words with its code, for people: "QueueNotFound (404): The queue … does not exist." */
export function describeError(error: unknown): string {
  if (error instanceof ConsoleError) return error.message;
  if (error instanceof ApiError) {
    return error.status === 0
      ? `${error.code}: ${error.message}`
      : `${error.code} (${error.status}): ${error.message}`;
  }
  return `Unexpected error: ${error instanceof Error ? error.message : String(error)}`;
}

const query = (params: Record<string, string | number | undefined>) => {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined) search.set(key, String(value));
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
};

export const api = {
  listQueues: (limit: number, cursor?: string) =>
    call<{ queues: Queue[]; cursor: string | null }>('GET', `${path('queues')}${query({ limit, cursor })}`),
  getQueue: (name: string) => call<QueueWithCounts>('GET', path('queues', name)),
  putQueue: (name: string, config: Partial<QueueConfig>) => call<Queue>('PUT', path('queues', name), config),
  deleteQueue: (name: string) => call<void>('DELETE', path('queues', name)),
  purge: (name: string) => call<void>('POST', path('queues', name, 'purge')),
  pause: (name: string) => call<void>('POST', path('queues', name, 'pause')),
  resume: (name: string) => call<void>('POST', path('queues', name, 'resume')),
  redrive: (name: string, input: { to?: string; maxMessages?: number }) =>
    call<RedriveResult>('POST', path('queues', name, 'redrive'), input),
  redriveMessage: (queue: string, id: string, input: { to?: string } = {}) =>
    call<RedriveMessageResult>('POST', path('queues', queue, 'messages', id, 'redrive'), input),
  rates: (queue: string) => call<QueueRates>('GET', path('queues', queue, 'rates')),
  consumers: () => call<{ consumers: ConsumerStatus[] }>('GET', path('consumers')),
  publish: (queue: string, input: PublishInput) =>
    call<PublishResult>('POST', path('queues', queue, 'messages'), input),
  browse: (queue: string, state: MessageState | 'all', limit: number, cursor?: string) =>
    call<BrowsePage>('GET', `${path('queues', queue, 'messages')}${query({ state, limit, cursor })}`),
  getMessage: (queue: string, id: string) => call<Message>('GET', path('queues', queue, 'messages', id)),
  cancel: (queue: string, id: string) => call<void>('DELETE', path('queues', queue, 'messages', id)),
  reschedule: (
    queue: string,
    id: string,
    input: { deliverAt?: string; delaySeconds?: number; priority?: number },
  ) => call<Message>('PATCH', path('queues', queue, 'messages', id), input),
  listTopics: (limit: number, cursor?: string) =>
    call<{ topics: Topic[]; cursor: string | null }>('GET', `${path('topics')}${query({ limit, cursor })}`),
  getTopic: (name: string) => call<Topic>('GET', path('topics', name)),
  putTopic: (name: string, subscriptions: TopicSubscription[]) =>
    call<Topic>('PUT', path('topics', name), { subscriptions }),
  deleteTopic: (name: string) => call<void>('DELETE', path('topics', name)),
  publishToTopic: (topic: string, input: PublishInput) =>
    call<TopicPublishAnswer>('POST', path('topics', topic, 'messages'), input),
  listSchedules: (limit: number, cursor?: string) =>
    call<{ schedules: Schedule[]; cursor: string | null }>(
      'GET',
      `${path('schedules')}${query({ limit, cursor })}`,
    ),
  putSchedule: (name: string, definition: ScheduleDefinition) =>
    call<Schedule>('PUT', path('schedules', name), definition),
};
