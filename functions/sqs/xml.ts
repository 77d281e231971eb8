/**
 * Query protocol answers: the JSON 1.0 output of an action written as the XML of the 2012-11-05
 * namespace. Maps and lists are flattened the way the SQS model names them (botocore's sqs
 * service-2.json): `Attributes` → `<Attribute><Name/><Value/></Attribute>…`, `QueueUrls` →
 * `<QueueUrl/>…`, batch `Successful` → `<{Action}ResultEntry/>…`, `Failed` → `<BatchResultErrorEntry/>…`.
 */
import type { SqsError } from './errors';

export const XML_NAMESPACE = 'http://queue.amazonaws.com/doc/2012-11-05/';

const escapeXml = (value: string) =>
  value.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] as string,
  );

const element = (name: string, content: string) => `<${name}>${content}</${name}>`;

const LIST_ELEMENTS: Record<string, (action: string) => string> = {
  QueueUrls: () => 'QueueUrl',
  queueUrls: () => 'QueueUrl',
  Messages: () => 'Message',
  Successful: (action) => `${action}ResultEntry`,
  Failed: () => 'BatchResultErrorEntry',
  Results: (action) => `${action}ResultEntry`,
};

function mapElements(name: string, keyName: string, map: Record<string, unknown>, action: string): string {
  return Object.entries(map)
    .map(([key, value]) =>
      element(name, element(keyName, escapeXml(key)) + element('Value', valueXml(value, action))),
    )
    .join('');
}

function valueXml(value: unknown, action: string): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return fieldsXml(value as Record<string, unknown>, action);
  return escapeXml(String(value));
}

function fieldsXml(fields: Record<string, unknown>, action: string): string {
  let xml = '';
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined || value === null) continue;
    if (name === 'Attributes')
      xml += mapElements('Attribute', 'Name', value as Record<string, unknown>, action);
    else if (name === 'MessageAttributes') {
      xml += mapElements('MessageAttribute', 'Name', value as Record<string, unknown>, action);
    } else if (name === 'Tags') xml += mapElements('Tag', 'Key', value as Record<string, unknown>, action);
    else if (Array.isArray(value)) {
      const itemName = LIST_ELEMENTS[name]?.(action) ?? name;
      xml += value.map((item) => element(itemName, valueXml(item, action))).join('');
    } else xml += element(name, valueXml(value, action));
  }
  return xml;
}

/** Actions whose SQS model has no output: their answer is ResponseMetadata only. */
const NO_RESULT = new Set([
  'DeleteQueue',
  'PurgeQueue',
  'SetQueueAttributes',
  'DeleteMessage',
  'ChangeMessageVisibility',
  'TagQueue',
  'UntagQueue',
  'AddPermission',
  'RemovePermission',
]);

export function queryAnswer(action: string, output: Record<string, unknown>, requestId: string): string {
  // botocore reads `<{Action}Result>` for every action whose model has an output, even an empty one.
  const result = NO_RESULT.has(action) ? '' : element(`${action}Result`, fieldsXml(output, action));
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${XML_NAMESPACE}">${result}` +
    `${element('ResponseMetadata', element('RequestId', requestId))}</${action}Response>`
  );
}

export function queryError(error: SqsError, requestId: string): string {
  const body =
    element('Type', error.fault) +
    element('Code', escapeXml(error.queryCode)) +
    element('Message', escapeXml(error.message));
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="${XML_NAMESPACE}">` +
    `${element('Error', `${body}<Detail/>`)}${element('RequestId', requestId)}</ErrorResponse>`
  );
}
