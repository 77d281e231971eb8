/** With POSTBOX_TOKEN set, the SQS endpoint wants the token as the SigV4 access key id (docs/api.md). */
import { ListQueuesCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SqsHarness, sqsClient, startSqsHarness } from './support';

let h: SqsHarness;
beforeAll(async () => {
  h = await startSqsHarness({ token: 'sekrit42' });
});
afterAll(async () => h.close());

describe('SQS endpoint with a token', () => {
  it('accepts a request signed with the token as access key id', async () => {
    await expect(h.sqs.send(new ListQueuesCommand({}))).resolves.toBeDefined();
  });

  it('refuses another access key id with InvalidClientTokenId (403), and an unsigned request', async () => {
    const other = sqsClient(h.url, 'someoneelse');
    const error = await other.send(new ListQueuesCommand({})).catch((e) => e);
    other.destroy();
    expect(error.name).toBe('InvalidClientTokenId');
    expect(error.$metadata.httpStatusCode).toBe(403);
    const unsigned = await fetch(`${h.url}/?Action=ListQueues`);
    expect(unsigned.status).toBe(403);
    expect(await unsigned.text()).toContain('<Code>InvalidClientTokenId</Code>');
  });

  it('keeps the bearer token check for /v1', async () => {
    expect((await fetch(`${h.url}/v1/queues`)).status).toBe(401);
    expect((await h.v1('GET', '/v1/queues')).status).toBe(200);
  });
});
