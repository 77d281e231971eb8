/**
 * The two AWS services the dispatcher calls that cannot run here, Lambda (Invoke) and EventBridge
 * Scheduler (CreateSchedule, DeleteSchedule), as one HTTP server on 127.0.0.1 that the bundle's
 * own AWS SDK reaches through AWS_ENDPOINT_URL_LAMBDA and AWS_ENDPOINT_URL_SCHEDULER (an
 * in-process SDK mock could not intercept a bundled SDK in another process). It records every
 * request and answers as the services do:
 *
 *   Invoke          POST /2015-03-31/functions/{name}/invocations
 *                   RequestResponse → 200 with the function's JSON result (X-Amz-Function-Error
 *                   when it failed); Event → 202, empty body
 *   CreateSchedule  POST /schedules/{name} → 200 {ScheduleArn}; 409 ConflictException if it exists
 *   DeleteSchedule  DELETE /schedules/{name}?groupName= → 200 {}; 404 ResourceNotFoundException
 *
 * Anything else is answered 400 UnknownOperationException, and stays in the log for the test to see.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ACCOUNT, REGION } from './function-environment';

export interface StubRequest {
  /** When it arrived (epoch ms). */
  at: number;
  /** The service the request was signed for (its SigV4 credential scope). */
  signedFor: { service: string; region: string } | undefined;
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface Invocation {
  functionName: string;
  invocationType: string;
  payload: unknown;
}

/** What the invoked function does: resolves with its result, or throws (an unhandled error). */
export type FunctionBehaviour = (invocation: Invocation) => unknown;

export class AwsStub {
  readonly requests: StubRequest[] = [];
  private readonly schedules = new Map<string, unknown>();
  private behaviour: FunctionBehaviour = () => null;

  private constructor(private readonly server: Server) {}

  static async start(): Promise<AwsStub> {
    let stub: AwsStub | undefined;
    const server = createServer((request, response) => {
      void stub?.handle(request, response);
    });
    stub = new AwsStub(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return stub;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** How invoked functions answer from now on. */
  functionsDo(behaviour: FunctionBehaviour): void {
    this.behaviour = behaviour;
  }

  /** Every Invoke so far, decoded. */
  invocations(): Invocation[] {
    return this.requests.flatMap((request) => {
      const match = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(request.path);
      if (request.method !== 'POST' || !match) return [];
      return [invocationOf(request, match[1] as string)];
    });
  }

  /** Every CreateSchedule request so far: its name and JSON body. */
  createdSchedules(): { name: string; input: Record<string, unknown> }[] {
    return this.requests.flatMap((request) => {
      const match = /^\/schedules\/([^/?]+)$/.exec(request.path);
      if (request.method !== 'POST' || !match) return [];
      return [{ name: decodeURIComponent(match[1] as string), input: JSON.parse(request.body) }];
    });
  }

  clear(): void {
    this.requests.length = 0;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const url = new URL(request.url ?? '/', 'http://stub');
    const recorded: StubRequest = {
      at: Date.now(),
      signedFor: signingScope(request.headers.authorization),
      method: request.method ?? '',
      path: url.pathname,
      headers: request.headers,
      body: Buffer.concat(chunks).toString('utf8'),
    };
    this.requests.push(recorded);
    const invoke = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(url.pathname);
    const schedule = /^\/schedules\/([^/]+)$/.exec(url.pathname);
    if (invoke && request.method === 'POST')
      return this.invoke(invocationOf(recorded, invoke[1] as string), response);
    if (schedule && request.method === 'POST')
      return this.createSchedule(recorded, schedule[1] as string, response);
    if (schedule && request.method === 'DELETE') {
      return this.deleteSchedule(
        schedule[1] as string,
        url.searchParams.get('groupName') ?? 'default',
        response,
      );
    }
    send(response, 400, { message: `${request.method} ${url.pathname}` }, 'UnknownOperationException');
  }

  private invoke(invocation: Invocation, response: ServerResponse): void {
    if (invocation.invocationType === 'Event') {
      response.writeHead(202, { 'x-amzn-requestid': 'stub' }).end();
      return;
    }
    try {
      const result = this.behaviour(invocation);
      response
        .writeHead(200, { 'content-type': 'application/json', 'x-amz-executed-version': '$LATEST' })
        .end(JSON.stringify(result ?? null));
    } catch (error) {
      const failure = { errorType: (error as Error).name, errorMessage: (error as Error).message, trace: [] };
      response
        .writeHead(200, { 'content-type': 'application/json', 'x-amz-function-error': 'Unhandled' })
        .end(JSON.stringify(failure));
    }
  }

  private createSchedule(request: StubRequest, encodedName: string, response: ServerResponse): void {
    const name = decodeURIComponent(encodedName);
    const input = JSON.parse(request.body) as { GroupName?: string };
    const group = input.GroupName ?? 'default';
    const key = `${group}/${name}`;
    if (this.schedules.has(key)) {
      send(response, 409, { Message: `Schedule ${name} already exists.` }, 'ConflictException');
      return;
    }
    this.schedules.set(key, input);
    send(response, 200, { ScheduleArn: `arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule/${key}` });
  }

  private deleteSchedule(encodedName: string, group: string, response: ServerResponse): void {
    const key = `${group}/${decodeURIComponent(encodedName)}`;
    if (!this.schedules.delete(key)) {
      send(response, 404, { Message: `Schedule ${key} does not exist.` }, 'ResourceNotFoundException');
      return;
    }
    send(response, 200, {});
  }
}

function invocationOf(request: StubRequest, encodedName: string): Invocation {
  return {
    functionName: decodeURIComponent(encodedName),
    invocationType: String(request.headers['x-amz-invocation-type'] ?? 'RequestResponse'),
    payload: request.body === '' ? undefined : JSON.parse(request.body),
  };
}

/** `Credential=<key>/<date>/<region>/<service>/aws4_request` of a SigV4 Authorization header. */
function signingScope(authorization: string | undefined) {
  const match = /Credential=[^/]+\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(authorization ?? '');
  return match ? { region: match[1] as string, service: match[2] as string } : undefined;
}

function send(response: ServerResponse, status: number, body: unknown, errorType?: string): void {
  response
    .writeHead(status, {
      'content-type': 'application/json',
      ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
    })
    .end(JSON.stringify(body));
}
