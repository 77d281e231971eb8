/**
 * SQS message attributes on a Postbox message, whose attributes are string→string.
 *
 *   SQS attribute  name {DataType: "String", StringValue: v}   →  Postbox attribute  name: v
 *                  name {DataType: "Number…", StringValue: v}  →                      name: v
 *                  name {DataType: "Binary…", BinaryValue: b}  →                      name: base64(b)
 *   and, only when something SQS-specific must survive, one reserved attribute
 *                  AWS.SQS: {"t": {name: DataType, …}, "d": dedup id, "g": group id, "s": sequence number}
 *   where `t` lists every attribute whose type is not plain "String".
 *
 * SQS forbids attribute names starting with `AWS.`, so the reserved name never collides with an
 * SQS user's attribute; a /v1 reader sees the values as strings and the types in `AWS.SQS`. A
 * message published through /v1 reads through SQS as String attributes.
 */
import { invalidParameterValue } from './errors';

export interface SqsMessageAttribute {
  DataType: string;
  StringValue?: string;
  /** Base64 text (the wire form of both protocols). */
  BinaryValue?: string;
}

/** What SQS needs to keep on a message that Postbox has no field for. */
export interface SqsMessageMeta {
  /** DataType of every attribute whose type is not "String". */
  t?: Record<string, string>;
  /** MessageDeduplicationId as the sender gave it. */
  d?: string;
  /** MessageGroupId on a standard queue (kept and answered, not used for ordering, as in SQS). */
  g?: string;
  /** SequenceNumber of a FIFO message. */
  s?: string;
}

export const META_ATTRIBUTE = 'AWS.SQS';
const MAX_ATTRIBUTES = 10;
const NAME = /^[A-Za-z0-9_.-]{1,256}$/;
const DATA_TYPE = /^(String|Number|Binary)(\..+)?$/;

function checkName(name: string): void {
  if (!NAME.test(name) || name.startsWith('.') || name.endsWith('.') || name.includes('..')) {
    throw invalidParameterValue(
      `Message attribute name '${name}' is invalid: use letters, digits, '_', '-' and '.' (not at the start or end, not twice in a row), at most 256 characters.`,
    );
  }
  if (/^(aws\.|amazon\.)/i.test(name)) {
    throw invalidParameterValue(
      `Message attribute name '${name}' is reserved (it starts with AWS. or Amazon.).`,
    );
  }
}

function checkValue(name: string, value: unknown): SqsMessageAttribute {
  if (typeof value !== 'object' || value === null) {
    throw invalidParameterValue(`The message attribute '${name}' must have a DataType and a value.`);
  }
  const { DataType, StringValue, BinaryValue } = value as Record<string, unknown>;
  if (typeof DataType !== 'string' || DataType.length === 0) {
    throw invalidParameterValue(
      `The message attribute '${name}' must contain a non-empty message attribute type.`,
    );
  }
  if (!DATA_TYPE.test(DataType) || DataType.length > 256) {
    throw invalidParameterValue(
      `The type of message attribute '${name}' is invalid: it must be String, Number or Binary, optionally followed by '.' and a custom label.`,
    );
  }
  if (DataType.startsWith('Binary')) {
    if (typeof BinaryValue !== 'string' || BinaryValue.length === 0) {
      throw invalidParameterValue(
        `The message attribute '${name}' with type 'Binary' must use field 'Binary'.`,
      );
    }
    return { DataType, BinaryValue };
  }
  if (typeof StringValue !== 'string' || StringValue.length === 0) {
    throw invalidParameterValue(
      `The message attribute '${name}' must contain a non-empty message attribute value.`,
    );
  }
  if (DataType.startsWith('Number') && !Number.isFinite(Number(StringValue))) {
    throw invalidParameterValue(`Can't cast the value of message attribute '${name}' to a number.`);
  }
  return { DataType, StringValue };
}

/** Checks SQS's rules on a request's MessageAttributes and answers them typed. */
export function readMessageAttributes(raw: unknown): Record<string, SqsMessageAttribute> {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw))
    throw invalidParameterValue('MessageAttributes must be a map.');
  const entries = Object.entries(raw as Record<string, unknown>);
  if (entries.length > MAX_ATTRIBUTES) {
    throw invalidParameterValue(
      `Number of message attributes [${entries.length}] exceeds the allowed maximum [10].`,
    );
  }
  const attributes: Record<string, SqsMessageAttribute> = Object.create(null);
  for (const [name, value] of entries) {
    checkName(name);
    attributes[name] = checkValue(name, value);
  }
  return attributes;
}

/** The bytes SQS counts against the message size: names, types and values. */
export function attributeBytes(attributes: Record<string, SqsMessageAttribute>): number {
  let bytes = 0;
  for (const [name, attribute] of Object.entries(attributes)) {
    bytes += Buffer.byteLength(name) + Buffer.byteLength(attribute.DataType);
    bytes +=
      attribute.BinaryValue !== undefined
        ? Buffer.from(attribute.BinaryValue, 'base64').length
        : Buffer.byteLength(attribute.StringValue ?? '');
  }
  return bytes;
}

/** Postbox attributes for an SQS message (see the table at the top). */
export function toPostboxAttributes(
  attributes: Record<string, SqsMessageAttribute>,
  meta: Omit<SqsMessageMeta, 't'>,
): Record<string, string> {
  const stored: Record<string, string> = {};
  const types: Record<string, string> = {};
  for (const [name, attribute] of Object.entries(attributes)) {
    stored[name] = attribute.BinaryValue ?? attribute.StringValue ?? '';
    if (attribute.DataType !== 'String') types[name] = attribute.DataType;
  }
  const full: SqsMessageMeta = { ...(Object.keys(types).length > 0 ? { t: types } : {}), ...meta };
  const defined = Object.entries(full).filter(([, value]) => value !== undefined);
  if (defined.length > 0) stored[META_ATTRIBUTE] = JSON.stringify(Object.fromEntries(defined));
  return stored;
}

function readMeta(text: string | undefined): SqsMessageMeta {
  if (text === undefined) return {};
  try {
    const meta = JSON.parse(text) as unknown;
    return typeof meta === 'object' && meta !== null && !Array.isArray(meta) ? (meta as SqsMessageMeta) : {};
  } catch {
    return {};
  }
}

/** An SQS view of a Postbox message's attributes: typed attributes and the SQS-only fields. */
export function fromPostboxAttributes(stored: Record<string, string>): {
  attributes: Record<string, SqsMessageAttribute>;
  meta: SqsMessageMeta;
} {
  const meta = readMeta(stored[META_ATTRIBUTE]);
  const types = meta.t ?? {};
  const attributes: Record<string, SqsMessageAttribute> = {};
  for (const [name, value] of Object.entries(stored)) {
    if (name === META_ATTRIBUTE) continue;
    const DataType = Object.hasOwn(types, name) ? (types[name] as string) : 'String';
    attributes[name] = DataType.startsWith('Binary')
      ? { DataType, BinaryValue: value }
      : { DataType, StringValue: value };
  }
  return { attributes, meta };
}

/** The attributes a receive asked for: `All`, `.*`, exact names, or `prefix.*`. */
export function selectAttributes(
  attributes: Record<string, SqsMessageAttribute>,
  requested: string[],
): Record<string, SqsMessageAttribute> {
  if (requested.length === 0) return {};
  const wantsAll = requested.some((name) => name === 'All' || name === '.*');
  const prefixes = requested.filter((name) => name.endsWith('.*')).map((name) => name.slice(0, -1));
  const selected: Record<string, SqsMessageAttribute> = {};
  for (const [name, attribute] of Object.entries(attributes)) {
    if (wantsAll || requested.includes(name) || prefixes.some((prefix) => name.startsWith(prefix))) {
      selected[name] = attribute;
    }
  }
  return selected;
}
