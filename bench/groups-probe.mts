/**
 * One-off probe for issue 3: DynamoDB requests and index items read by one receive with 1,000
 * message groups of two, 900 of them blocked (head in flight). `node --import tsx bench/groups-probe.mts`
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoEngine } from '../functions/core/dynamo-engine';
import { ensureTable } from '../functions/core/table';
import { startDynamoDbLocal } from '../functions/local/dynamodb-local';

const ddb = await startDynamoDbLocal({ inMemory: true });
const client = new DynamoDBClient({
  endpoint: ddb.endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});
await ensureTable(client, 'probe');
const engine = new DynamoEngine({ client, tableName: 'probe', configCacheMs: 60_000 });
await engine.putQueue('g', { visibilityTimeoutSeconds: 3600 });
for (const round of ['head', 'second']) {
  for (let b = 0; b < 40; b += 4) {
    await Promise.all(
      [0, 1, 2, 3].map((k) =>
        engine.publishBatch(
          'g',
          Array.from({ length: 25 }, (_, i) => ({ body: round, groupId: `g${(b + k) * 25 + i}` })),
        ),
      ),
    );
  }
}
// 900 heads in flight: their groups are blocked; 100 groups stay available.
for (let i = 0; i < 90; i++) await engine.receive('g', { maxMessages: 10 });
let counts = { requests: {} as Record<string, number>, itemsRead: 0 };
client.middlewareStack.add(
  (next, context) => async (args) => {
    const name = String(context.commandName).replace(/Command$/, '');
    counts.requests[name] = (counts.requests[name] ?? 0) + 1;
    const result = await next(args);
    const out = result.output as { ScannedCount?: number };
    counts.itemsRead += out.ScannedCount ?? 0;
    return result;
  },
  { step: 'initialize', name: 'count' },
);
const results = [];
for (let i = 0; i < 10; i++) {
  counts = { requests: {}, itemsRead: 0 };
  const got = await engine.receive('g', {});
  results.push({ delivered: got.length, ...counts });
}
console.log(JSON.stringify(await engine.getQueue('g').then((q) => q.counts)));
console.log(JSON.stringify(results));
await ddb.stop();
process.exit(0);
