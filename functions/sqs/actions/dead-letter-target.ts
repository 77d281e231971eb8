/**
 * The checks SQS makes on a RedrivePolicy's target: it exists (as the queue type its name says),
 * and its RedriveAllowPolicy lets the source in: `allowAll` (the default) lets any queue in,
 * `denyAll` none, `byQueue` the queues in its `sourceQueueArns`.
 */
import type { SqsContext } from '../context';
import { arnOf, loadQueue } from '../context';
import { invalidParameterValue, SqsError } from '../errors';

const invalidRedrivePolicy = (reason: string) =>
  invalidParameterValue(`Value for parameter RedrivePolicy is invalid. Reason: ${reason}`);

export async function checkDeadLetterTarget(
  context: SqsContext,
  sourceSqsName: string,
  targetSqsName: string,
): Promise<void> {
  const target = await loadQueue(context, targetSqsName).catch((error: unknown) => {
    if (error instanceof SqsError && error.shape === 'QueueDoesNotExist') {
      throw invalidRedrivePolicy('Dead letter target does not exist.');
    }
    throw error;
  });
  const text = target.settings.attributes.RedriveAllowPolicy;
  if (text === undefined) return;
  const { redrivePermission, sourceQueueArns } = JSON.parse(text) as {
    redrivePermission: string;
    sourceQueueArns?: string[];
  };
  const sourceArn = arnOf(context, sourceSqsName);
  if (redrivePermission === 'denyAll') {
    throw invalidRedrivePolicy(`Queue ${targetSqsName} does not allow any queue as its dead-letter source.`);
  }
  if (redrivePermission === 'byQueue' && !sourceQueueArns?.includes(sourceArn)) {
    throw invalidRedrivePolicy(
      `Queue ${targetSqsName} does not allow ${sourceArn} as a source (its RedriveAllowPolicy).`,
    );
  }
}
