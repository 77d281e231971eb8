/**
 * The digests SQS answers with and the SDKs verify (@aws-sdk/client-sqs rejects a receive whose
 * MD5OfBody does not match). MD5OfMessageAttributes follows the algorithm SQS documents: names
 * sorted; for each, the name, the data type and the value, each as a 4-byte big-endian length
 * and its bytes, with one transport byte (1 string, 2 binary) before the value.
 */
import { createHash } from 'node:crypto';
import type { SqsMessageAttribute } from './message-attributes';

export const md5Hex = (data: string | Buffer) => createHash('md5').update(data).digest('hex');

const STRING_TRANSPORT = 1;
const BINARY_TRANSPORT = 2;

function lengthPrefixed(bytes: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

/** Undefined when there are no attributes: SQS leaves the field out then. */
export function md5OfAttributes(attributes: Record<string, SqsMessageAttribute>): string | undefined {
  // Sorted by code unit, as SQS's own (Java) implementation sorts names.
  const names = Object.keys(attributes).sort();
  if (names.length === 0) return undefined;
  const parts: Buffer[] = [];
  for (const name of names) {
    const attribute = attributes[name] as SqsMessageAttribute;
    parts.push(lengthPrefixed(Buffer.from(name, 'utf8')));
    parts.push(lengthPrefixed(Buffer.from(attribute.DataType, 'utf8')));
    if (attribute.BinaryValue !== undefined) {
      parts.push(Buffer.from([BINARY_TRANSPORT]));
      parts.push(lengthPrefixed(Buffer.from(attribute.BinaryValue, 'base64')));
    } else {
      parts.push(Buffer.from([STRING_TRANSPORT]));
      parts.push(lengthPrefixed(Buffer.from(attribute.StringValue ?? '', 'utf8')));
    }
  }
  return md5Hex(Buffer.concat(parts));
}
