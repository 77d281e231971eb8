/**
 * AWS Signature Version 4 for the deployed API (API Gateway with IAM auth, service `execute-api`),
 * signed by the AWS SDK's own signer (`@smithy/signature-v4`). Credentials come from the
 * standard provider chain (environment, shared config and SSO, web identity, container and
 * instance roles) unless given. The signer and the credential chain are loaded on first use, so
 * a client that never signs (the local server) never pays for loading them.
 */
import type { SignatureV4 } from '@smithy/signature-v4';
import type { Authorizer, OutgoingRequest } from './http';

/** Static AWS credentials, or a function that returns them (refreshed as they expire). */
export type AwsCredentials = ConstructorParameters<typeof SignatureV4>[0]['credentials'];

/**
 * How the client signs requests for the deployed API.
 *
 * @example
 * ```ts
 * const client = new PostboxClient({
 *   url: 'https://queues.example.com',
 *   sigv4: { region: 'eu-west-1', credentials: fromIni({ profile: 'queues' }) },
 * });
 * ```
 */
export interface SigV4Options {
  /**
   * The API's region. @default parsed from an `execute-api` URL
   * (`https://{id}.execute-api.{region}.amazonaws.com/...`); required for any other URL.
   */
  region?: string;
  /** @default the standard AWS credential provider chain (`@aws-sdk/credential-provider-node`) */
  credentials?: AwsCredentials;
  /** The signing name. @default 'execute-api' */
  service?: string;
  /** The signing time; for tests. @default the current time */
  signingDate?: () => Date;
}

const EXECUTE_API = /^[a-z0-9]+\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/;

/**
 * The region of an API Gateway URL, or undefined for any other host.
 *
 * @example
 * ```ts
 * regionFromUrl('https://a1b2c3.execute-api.eu-west-1.amazonaws.com/prod'); // 'eu-west-1'
 * ```
 */
export function regionFromUrl(url: string | URL): string | undefined {
  return EXECUTE_API.exec(new URL(url).hostname)?.[1];
}

/**
 * True when the URL is an API Gateway `execute-api` endpoint (which needs SigV4).
 *
 * @example
 * ```ts
 * isExecuteApiUrl('https://a1b2c3.execute-api.eu-west-1.amazonaws.com/prod'); // true
 * isExecuteApiUrl('http://127.0.0.1:3000'); // false
 * ```
 */
export const isExecuteApiUrl = (url: string | URL): boolean => regionFromUrl(url) !== undefined;

/**
 * An Authorizer that signs each request with SigV4.
 *
 * @example
 * ```ts
 * const authorize = sigV4Authorizer('https://a1b2c3.execute-api.eu-west-1.amazonaws.com', {
 *   credentials: { accessKeyId: 'AKIA…', secretAccessKey: '…' },
 * });
 * ```
 */
export function sigV4Authorizer(url: string, options: SigV4Options = {}): Authorizer {
  const region = options.region ?? regionFromUrl(url);
  if (region === undefined) {
    throw new TypeError(`SigV4 needs a region: pass sigv4.region (the URL ${url} does not name one).`);
  }
  let signer: SignatureV4 | undefined;
  return async (request) => {
    signer ??= await createSigner({
      service: options.service ?? 'execute-api',
      region,
      credentials: options.credentials ?? (await defaultCredentials()),
      // Not S3: the path is encoded twice in the canonical request, as API Gateway checks it.
      uriEscapePath: true,
      // No x-amz-content-sha256 header: API Gateway hashes the payload itself.
      applyChecksum: false,
    });
    return signRequest(signer, request, options.signingDate?.());
  };
}

/** The headers that sign `request`: host, x-amz-date, authorization (and the session token). */
export async function signRequest(
  signer: SignatureV4,
  request: OutgoingRequest,
  signingDate?: Date,
): Promise<Record<string, string>> {
  const { url } = request;
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of url.searchParams) {
    const seen = query[key];
    query[key] = seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value];
  }
  const signed = await signer.sign(
    {
      method: request.method,
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port === '' ? undefined : Number(url.port),
      // As sent: already encoded once (the signer encodes it again).
      path: url.pathname,
      query,
      // `host` is signed as fetch will send it (with a non-default port).
      headers: { ...request.headers, host: url.host },
      body: request.body,
    },
    { signingDate },
  );
  // fetch sets Host itself (to the same value); every other signed header is sent as signed.
  const { host: _host, ...headers } = signed.headers;
  return headers;
}

async function createSigner(
  init: Omit<ConstructorParameters<typeof SignatureV4>[0], 'sha256'>,
): Promise<SignatureV4> {
  const [{ SignatureV4: Signer }, { Sha256 }] = await Promise.all([
    import('@smithy/signature-v4'),
    import('@aws-crypto/sha256-js'),
  ]);
  return new Signer({ ...init, sha256: Sha256 });
}

async function defaultCredentials(): Promise<NonNullable<AwsCredentials>> {
  const { defaultProvider } = await import('@aws-sdk/credential-provider-node');
  return defaultProvider();
}
