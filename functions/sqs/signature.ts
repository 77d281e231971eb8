/**
 * What the endpoint reads from a SigV4 request without verifying it: the access key id and the
 * region of the credential scope (`Credential=<key>/<date>/<region>/sqs/aws4_request`), from the
 * Authorization header or a presigned URL's X-Amz-Credential.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

function credentialOf(request: Request): string[] | undefined {
  const header = request.headers.get('authorization') ?? '';
  const fromHeader = /Credential=([^,\s]+)/.exec(header)?.[1];
  const scope = fromHeader ?? new URL(request.url).searchParams.get('X-Amz-Credential') ?? undefined;
  return scope?.split('/');
}

export const accessKeyOf = (request: Request): string => credentialOf(request)?.[0] ?? '';

export const regionOf = (request: Request): string | undefined => credentialOf(request)?.[2] || undefined;

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/** Compared through digests: same time whatever the lengths (see api/auth.ts). */
export const tokenMatches = (given: string, token: string) => timingSafeEqual(digest(given), digest(token));
