/** The wire details the SDKs depend on, without a database: digests, Query input, XML answers. */
import { describe, expect, it } from 'vitest';
import { invalidParameterValue, queueDoesNotExist } from '../../functions/sqs/errors';
import { md5OfAttributes } from '../../functions/sqs/md5';
import {
  fromPostboxAttributes,
  selectAttributes,
  toPostboxAttributes,
} from '../../functions/sqs/message-attributes';
import { readQueryInput } from '../../functions/sqs/query-input';
import { queueNameOf } from '../../functions/sqs/queue-url';
import { queryAnswer, queryError } from '../../functions/sqs/xml';

describe('md5OfAttributes', () => {
  // Vectors published with other SQS implementations (LocalStack, sqslite, sqs-md5-validator).
  it('matches the digests SQS answers', () => {
    expect(md5OfAttributes({ timestamp: { DataType: 'Number', StringValue: '1493147359900' } })).toBe(
      '235c5c510d26fb653d073faed50ae77c',
    );
    expect(
      md5OfAttributes({
        ordinal: { DataType: 'Number', StringValue: '1' },
        category: { DataType: 'String', StringValue: 'test' },
      }),
    ).toBe('d21ae90c49061e927f57df5f5d72be1f');
    expect(md5OfAttributes({ SellerName: { DataType: 'String', StringValue: 'Example Store' } })).toBe(
      'cd28f3b68aeee4b2eac9c66f2f694b58',
    );
  });

  it('is absent without attributes', () => {
    expect(md5OfAttributes({})).toBeUndefined();
  });
});

describe('message attributes on a Postbox message', () => {
  it('keeps values as strings and the non-String types in AWS.SQS, and reads them back', () => {
    const attributes = {
      s: { DataType: 'String', StringValue: 'x' },
      n: { DataType: 'Number.int', StringValue: '5' },
      b: { DataType: 'Binary', BinaryValue: 'AAEC' },
    };
    const stored = toPostboxAttributes(attributes, { d: 'dedup', s: '1' });
    expect(stored).toEqual({
      s: 'x',
      n: '5',
      b: 'AAEC',
      'AWS.SQS': '{"t":{"n":"Number.int","b":"Binary"},"d":"dedup","s":"1"}',
    });
    expect(fromPostboxAttributes(stored)).toEqual({
      attributes,
      meta: { t: { n: 'Number.int', b: 'Binary' }, d: 'dedup', s: '1' },
    });
    expect(toPostboxAttributes({ s: attributes.s }, {})).toEqual({ s: 'x' });
  });

  it('selects All, exact names and prefixes', () => {
    const all = {
      'a.1': { DataType: 'String', StringValue: '1' },
      b: { DataType: 'String', StringValue: '2' },
    };
    expect(selectAttributes(all, ['All'])).toEqual(all);
    expect(selectAttributes(all, ['a.*'])).toEqual({ 'a.1': all['a.1'] });
    expect(selectAttributes(all, ['b', 'c'])).toEqual({ b: all.b });
    expect(selectAttributes(all, [])).toEqual({});
  });
});

describe('readQueryInput', () => {
  it('reads flattened maps, lists and batch entries into the JSON shape', () => {
    const form = new URLSearchParams({
      Action: 'SendMessageBatch',
      Version: '2012-11-05',
      QueueUrl: 'http://h/000000000000/q',
      'SendMessageBatchRequestEntry.2.Id': 'b',
      'SendMessageBatchRequestEntry.2.MessageBody': 'two',
      'SendMessageBatchRequestEntry.1.Id': 'a',
      'SendMessageBatchRequestEntry.1.MessageBody': 'one',
      'SendMessageBatchRequestEntry.1.MessageAttribute.1.Name': 'n',
      'SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.DataType': 'Number',
      'SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.StringValue': '1',
    });
    expect(readQueryInput(form)).toEqual({
      action: 'SendMessageBatch',
      input: {
        QueueUrl: 'http://h/000000000000/q',
        Entries: [
          { Id: 'a', MessageBody: 'one', MessageAttributes: { n: { DataType: 'Number', StringValue: '1' } } },
          { Id: 'b', MessageBody: 'two' },
        ],
      },
    });
    const create = readQueryInput(
      new URLSearchParams({
        Action: 'CreateQueue',
        QueueName: 'q',
        'Attribute.1.Name': 'VisibilityTimeout',
        'Attribute.1.Value': '60',
        'Tag.1.Key': 'team',
        'Tag.1.Value': 'a',
        'AttributeName.1': 'All',
      }),
    );
    expect(create.input).toEqual({
      QueueName: 'q',
      Attributes: { VisibilityTimeout: '60' },
      Tags: { team: 'a' },
      AttributeNames: ['All'],
    });
  });
});

describe('Query answers', () => {
  it('writes results in the 2012-11-05 namespace with flattened lists and maps', () => {
    const xml = queryAnswer(
      'GetQueueAttributes',
      { Attributes: { VisibilityTimeout: '30', Policy: '{"a":"<b>"}' } },
      'req-1',
    );
    expect(xml).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<GetQueueAttributesResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/">' +
        '<GetQueueAttributesResult><Attribute><Name>VisibilityTimeout</Name><Value>30</Value></Attribute>' +
        '<Attribute><Name>Policy</Name><Value>{&quot;a&quot;:&quot;&lt;b&gt;&quot;}</Value></Attribute></GetQueueAttributesResult>' +
        '<ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></GetQueueAttributesResponse>',
    );
    expect(queryAnswer('ListQueues', { QueueUrls: ['u1', 'u2'] }, 'r')).toContain(
      '<ListQueuesResult><QueueUrl>u1</QueueUrl><QueueUrl>u2</QueueUrl></ListQueuesResult>',
    );
    expect(
      queryAnswer(
        'DeleteMessageBatch',
        { Successful: [{ Id: 'a' }], Failed: [{ Id: 'b', SenderFault: true, Code: 'C', Message: 'M' }] },
        'r',
      ),
    ).toContain(
      '<DeleteMessageBatchResultEntry><Id>a</Id></DeleteMessageBatchResultEntry><BatchResultErrorEntry><Id>b</Id><SenderFault>true</SenderFault><Code>C</Code><Message>M</Message></BatchResultErrorEntry>',
    );
    expect(queryAnswer('DeleteQueue', {}, 'r')).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<DeleteQueueResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/"><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DeleteQueueResponse>',
    );
  });

  it('writes errors with the query code and the fault', () => {
    expect(queryError(queueDoesNotExist(), 'r')).toContain(
      '<Error><Type>Sender</Type><Code>AWS.SimpleQueueService.NonExistentQueue</Code><Message>The specified queue does not exist.</Message><Detail/></Error><RequestId>r</RequestId>',
    );
    expect(queryError(invalidParameterValue('a & b'), 'r')).toContain('<Message>a &amp; b</Message>');
  });
});

describe('queueNameOf', () => {
  it('takes the queue from /<account>/<queue> and refuses anything else as a missing queue', () => {
    expect(queueNameOf('http://127.0.0.1:3000/000000000000/orders.fifo')).toBe('orders.fifo');
    expect(queueNameOf('https://sqs.us-east-1.amazonaws.com/123456789012/q')).toBe('q');
    expect(() => queueNameOf('http://127.0.0.1:3000/q')).toThrow('does not exist');
    expect(() => queueNameOf('http://127.0.0.1:3000/000000000000/a b')).toThrow('does not exist');
  });
});

describe('Query answers without results', () => {
  it('keep an empty Result element for actions that have an output', () => {
    expect(queryAnswer('ListQueues', {}, 'r')).toContain('<ListQueuesResult></ListQueuesResult>');
  });
});
