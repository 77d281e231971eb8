/** The bench's HTTP client: JSON over fetch to the local server on 127.0.0.1, with a time limit. */

export interface Answer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: answers are read field by field by the phases
  json: any;
}

export class HttpFailure extends Error {}

let unavailable = 0;

/** 503 answers (the store throttled or timed out after the SDK's retries) retried since the last take. */
export function takeUnavailable(): number {
  const taken = unavailable;
  unavailable = 0;
  return taken;
}

/**
 * One request. A 503 (DynamoDB Local too busy, on a loaded machine) is retried after a short
 * pause, as a client honouring Retry-After would, at most 5 times, and counted.
 */
export async function call(url: string, method: string, body?: unknown, timeoutMs = 60_000): Promise<Answer> {
  for (let attempt = 0; ; attempt++) {
    const response = await fetch(url, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    if (response.status === 503 && attempt < 5) {
      unavailable++;
      await new Promise((resolve) => setTimeout(resolve, 100 * (attempt + 1)));
      continue;
    }
    return { status: response.status, json: text ? JSON.parse(text) : undefined };
  }
}

let failures: Record<string, number> = {};

/** Requests of the concurrent loops that failed (timed out, refused, unexpected status), by reason, since the last take. */
export function takeFailures(): Record<string, number> {
  const taken = failures;
  failures = {};
  return taken;
}

/**
 * Runs one step of a concurrent loop; a failure is counted (and reported with the results)
 * instead of ending the run: on a loaded machine one request in thousands may time out.
 */
export async function tolerate<T>(step: () => Promise<T>): Promise<T | undefined> {
  try {
    return await step();
  } catch (error) {
    const reason = error instanceof HttpFailure ? 'unexpected status' : (error as Error).name;
    failures[reason] = (failures[reason] ?? 0) + 1;
    return undefined;
  }
}

/** Calls and insists on the expected status. */
export async function expectCall(
  url: string,
  method: string,
  body: unknown,
  status: number,
  timeoutMs?: number,
): Promise<Answer> {
  const answer = await call(url, method, body, timeoutMs);
  if (answer.status !== status) {
    throw new HttpFailure(
      `${method} ${new URL(url).pathname} answered ${answer.status} (expected ${status}): ${JSON.stringify(answer.json)}`,
    );
  }
  return answer;
}

export interface Delivered {
  id: string;
  receipt: string;
  deliverAt: string;
  // biome-ignore lint/suspicious/noExplicitAny: the bench's own bodies
  body: any;
}

/** A client for one queue of one server. */
export function queueClient(base: string, queue: string) {
  const q = `${base}/v1/queues/${queue}`;
  return {
    create: (config: Record<string, unknown> = {}) => expectCall(q, 'PUT', config, 201),
    publish: async (body: unknown, extra: Record<string, unknown> = {}) =>
      (await expectCall(`${q}/messages`, 'POST', { body, ...extra }, 201)).json as { id: string },
    publishBatch: async (entries: Record<string, unknown>[]) =>
      (await expectCall(`${q}/messages/batch`, 'POST', { messages: entries }, 200)).json.results as {
        id?: string;
        error?: unknown;
      }[],
    receive: async (options: Record<string, unknown> = {}) =>
      (
        await expectCall(
          `${q}/receive`,
          'POST',
          options,
          200,
          ((options.waitSeconds as number | undefined) ?? 0) * 1000 + 60_000,
        )
      ).json.messages as Delivered[],
    ack: (receipt: string) => expectCall(`${q}/ack`, 'POST', { receipt }, 204),
    ackBatch: async (receipts: string[]) =>
      (await expectCall(`${q}/ack`, 'POST', { receipts }, 200)).json.results as { ok?: boolean }[],
    get: async () => (await expectCall(q, 'GET', undefined, 200)).json,
  };
}

export type QueueClient = ReturnType<typeof queueClient>;
