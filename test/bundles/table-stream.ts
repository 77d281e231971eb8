/**
 * The DynamoDB stream of a test table, read from DynamoDB Local's own Streams API and handed over
 * as the stack's event source mapping would: records as they are on the wire (the JSON Lambda
 * forwards, not the SDK's decoded objects), with `eventSourceARN` added, only those that match the
 * mapping's filter, in batches of the mapping's batch size, each wrapped as `{ Records: [...] }`.
 *
 * The raw Streams API (signed with the SDK's own SigV4 signer) rather than an SDK client: the SDK
 * turns `ApproximateCreationDateTime` into a Date and binary values into bytes, which is not what
 * the function receives.
 */
import { request } from 'node:http';
import { Sha256 } from '@aws-crypto/sha256-js';
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SignatureV4 } from '@smithy/signature-v4';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { matchesAny } from './event-filter';
import { REGION } from './function-environment';

interface Shard {
  ShardId: string;
}

export class TableStream {
  private readonly iterators = new Map<string, string | null>();
  private readonly signer = new SignatureV4({
    service: 'dynamodb',
    region: REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    sha256: Sha256,
  });

  private constructor(
    private readonly endpoint: URL,
    readonly streamArn: string,
    private readonly mapping: { filterPatterns: unknown[]; batchSize: number },
  ) {}

  static async open(
    client: DynamoDBClient,
    endpoint: string,
    tableName: string,
    mapping: { filterPatterns: unknown[]; batchSize: number },
  ): Promise<TableStream> {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (!Table?.LatestStreamArn) throw new Error(`${tableName} has no stream`);
    return new TableStream(new URL(endpoint), Table.LatestStreamArn, mapping);
  }

  /** Every record written since the last call, as DynamoDB Streams has it. */
  async read(): Promise<DynamoDBRecord[]> {
    const { StreamDescription } = (await this.call('DescribeStream', { StreamArn: this.streamArn })) as {
      StreamDescription: { Shards: Shard[] };
    };
    const records: DynamoDBRecord[] = [];
    for (const { ShardId } of StreamDescription.Shards) {
      if (!this.iterators.has(ShardId)) {
        const { ShardIterator } = (await this.call('GetShardIterator', {
          StreamArn: this.streamArn,
          ShardId,
          ShardIteratorType: 'TRIM_HORIZON',
        })) as { ShardIterator: string };
        this.iterators.set(ShardId, ShardIterator);
      }
      for (;;) {
        const iterator = this.iterators.get(ShardId);
        if (!iterator) break;
        const page = (await this.call('GetRecords', { ShardIterator: iterator })) as {
          Records: DynamoDBRecord[];
          NextShardIterator?: string;
        };
        this.iterators.set(ShardId, page.NextShardIterator ?? null);
        // Lambda adds the stream's ARN; DynamoDB Local names its region `ddblocal`, AWS the table's.
        records.push(
          ...page.Records.map((record) => ({ ...record, awsRegion: REGION, eventSourceARN: this.streamArn })),
        );
        if (page.Records.length === 0) break;
      }
    }
    return records;
  }

  /** What the event source mapping would invoke the dispatcher with for the records since the last call. */
  async events(): Promise<DynamoDBStreamEvent[]> {
    return lambdaEvents(await this.read(), this.mapping);
  }

  private async call(action: string, body: unknown): Promise<unknown> {
    const text = JSON.stringify(body);
    const signed = await this.signer.sign({
      method: 'POST',
      protocol: this.endpoint.protocol,
      hostname: this.endpoint.hostname,
      port: Number(this.endpoint.port),
      path: '/',
      query: {},
      headers: {
        host: this.endpoint.host,
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': `DynamoDBStreams_20120810.${action}`,
      },
      body: text,
    });
    return new Promise((resolve, reject) => {
      const outgoing = request(this.endpoint, { method: 'POST', headers: signed.headers }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const answer = Buffer.concat(chunks).toString('utf8');
          if (response.statusCode !== 200) reject(new Error(`${action}: ${response.statusCode} ${answer}`));
          else resolve(JSON.parse(answer));
        });
      });
      outgoing.on('error', reject);
      outgoing.end(text);
    });
  }
}

/** The mapping's filter, then its batch size: the events Lambda would invoke the function with. */
export function lambdaEvents(
  records: readonly DynamoDBRecord[],
  mapping: { filterPatterns: unknown[]; batchSize: number },
): DynamoDBStreamEvent[] {
  const delivered = records.filter((record) => matchesAny(mapping.filterPatterns, record));
  const events: DynamoDBStreamEvent[] = [];
  for (let start = 0; start < delivered.length; start += mapping.batchSize) {
    events.push({ Records: delivered.slice(start, start + mapping.batchSize) });
  }
  return events;
}
