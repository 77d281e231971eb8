/**
 * API Gateway HTTP API events, payload format 2.0, as the service builds them for a request that
 * passed the IAM authorizer (`AWS_IAM` on the route): the matched route key of the stack's own
 * routes, the stage in `rawPath` when it is a named one, the raw query string and its parsed form,
 * lower-case headers, the caller's IAM identity under `requestContext.authorizer.iam`, and the
 * body as text or base64 (`isBase64Encoded`), as API Gateway passes a body it does not take for text.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2WithIAMAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { ACCOUNT, REGION } from './function-environment';

export const API_ID = 'a1b2c3d4e5';
const DOMAIN = `${API_ID}.execute-api.${REGION}.amazonaws.com`;
const CALLER = {
  accessKey: 'ASIACALLEREXAMPLE0001',
  accountId: ACCOUNT,
  callerId: 'AROACALLEREXAMPLE0001:worker-session',
  cognitoIdentity: null,
  principalOrgId: null,
  userArn: `arn:aws:sts::${ACCOUNT}:assumed-role/orders-worker/worker-session`,
  userId: 'AROACALLEREXAMPLE0001:worker-session',
};

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (value: number) => String(value).padStart(2, '0');
/** `requestContext.time` as HTTP APIs write it: `02/Dec/2026:13:15:00 +0000`. */
const requestTime = (at: Date) =>
  `${pad(at.getUTCDate())}/${MONTHS[at.getUTCMonth()]}/${at.getUTCFullYear()}:${pad(at.getUTCHours())}:${pad(at.getUTCMinutes())}:${pad(at.getUTCSeconds())} +0000`;

export interface HttpRequest {
  method: string;
  /** The path below the stage, e.g. `/v1/queues/orders`. */
  path: string;
  query?: Record<string, string>;
  /** Sent as JSON text unless `rawBody` is given. */
  body?: unknown;
  rawBody?: string;
  /** Send the body base64-encoded, with no Content-Type (a client that sets none). */
  base64?: boolean;
  headers?: Record<string, string>;
}

export interface Api {
  stageName: string;
  routeKeys: string[];
}

/** The route API Gateway matches: `ANY /` for the root, `ANY /{proxy+}` for anything below it. */
function matchRoute(api: Api, method: string, path: string) {
  const exact = [`${method} ${path}`, `ANY ${path}`].find((key) => api.routeKeys.includes(key));
  if (exact) return { routeKey: exact, pathParameters: undefined };
  if (path !== '/' && api.routeKeys.includes('ANY /{proxy+}')) {
    return { routeKey: 'ANY /{proxy+}', pathParameters: { proxy: path.slice(1) } };
  }
  throw new Error(`no route of the stack matches ${method} ${path} (API Gateway would answer 404 itself)`);
}

export function httpEvent(api: Api, request: HttpRequest): APIGatewayProxyEventV2WithIAMAuthorizer {
  const text = request.rawBody ?? (request.body === undefined ? undefined : JSON.stringify(request.body));
  const rawPath = api.stageName === '$default' ? request.path : `/${api.stageName}${request.path}`;
  const search = new URLSearchParams(request.query ?? {});
  const now = new Date();
  const requestId = randomUUID().slice(0, 18);
  const amzDate = now.toISOString().replace(/[-:]|\.\d{3}/g, '');
  const headers: Record<string, string> = {
    accept: 'application/json',
    authorization: `AWS4-HMAC-SHA256 Credential=${CALLER.accessKey}/${amzDate.slice(0, 8)}/${REGION}/execute-api/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=${'0'.repeat(64)}`,
    host: DOMAIN,
    'user-agent': 'postbox-client/0.1.0',
    'x-amz-date': amzDate,
    'x-amz-security-token': 'IQoJb3JpZ2luX2VjEXAMPLE',
    'x-amzn-trace-id': `Root=1-${Math.floor(now.getTime() / 1000).toString(16)}-${randomUUID().replace(/-/g, '').slice(0, 24)}`,
    'x-forwarded-for': '203.0.113.7',
    'x-forwarded-port': '443',
    'x-forwarded-proto': 'https',
    ...(text !== undefined ? { 'content-length': String(Buffer.byteLength(text)) } : {}),
    ...(text !== undefined && !request.base64 ? { 'content-type': 'application/json' } : {}),
    ...request.headers,
  };
  const { routeKey, pathParameters } = matchRoute(api, request.method, request.path);
  return {
    version: '2.0',
    routeKey,
    rawPath,
    rawQueryString: search.toString(),
    headers,
    ...(search.size > 0 ? { queryStringParameters: Object.fromEntries(search) } : {}),
    ...(pathParameters ? { pathParameters } : {}),
    requestContext: {
      accountId: ACCOUNT,
      apiId: API_ID,
      authorizer: { iam: CALLER },
      domainName: DOMAIN,
      domainPrefix: API_ID,
      http: {
        method: request.method,
        path: rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: '203.0.113.7',
        userAgent: headers['user-agent'] as string,
      },
      requestId,
      routeKey,
      stage: api.stageName,
      time: requestTime(now),
      timeEpoch: now.getTime(),
    },
    ...(text !== undefined
      ? {
          body: request.base64 ? Buffer.from(text, 'utf8').toString('base64') : text,
          isBase64Encoded: request.base64 === true,
        }
      : { isBase64Encoded: false }),
    // Through unknown: API Gateway sends `principalOrgId: null`, which @types/aws-lambda types as string.
  } as unknown as APIGatewayProxyEventV2WithIAMAuthorizer;
}

/** What the function answered, with its body parsed (as API Gateway would pass it on). */
export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  // biome-ignore lint/suspicious/noExplicitAny: a JSON body, read by shape in each assertion
  body: any;
}

export function readAnswer(result: APIGatewayProxyStructuredResultV2): HttpAnswer {
  const raw = result.body ?? '';
  const text = result.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  return {
    status: result.statusCode ?? 200,
    headers: Object.fromEntries(
      Object.entries(result.headers ?? {}).map(([name, value]) => [name.toLowerCase(), String(value)]),
    ),
    body: text === '' ? undefined : JSON.parse(text),
  };
}
