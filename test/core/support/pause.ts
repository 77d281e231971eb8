/**
 * Holds one DynamoDB request of a client until the test lets it go: the way to put another
 * process's work exactly between two requests of one operation (a delete's transaction and its
 * clean-up, a check and its write). Real requests, real store; only the timing is chosen.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

export interface Pause {
  /** Resolves when the matching request is about to be sent (it waits until `resume`). */
  reached: Promise<void>;
  resume(): void;
}

let installed = 0;

/** Pauses the first request for which `matches(commandName, input)` holds; later ones pass. */
export function pauseAt(
  client: DynamoDBClient,
  matches: (command: string, input: Record<string, unknown>) => boolean,
): Pause {
  let reach = () => {};
  let resume = () => {};
  const reached = new Promise<void>((resolve) => {
    reach = resolve;
  });
  const resumed = new Promise<void>((resolve) => {
    resume = resolve;
  });
  let fired = false;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = String(context.commandName ?? '').replace(/Command$/, '');
      if (!fired && matches(command, args.input as Record<string, unknown>)) {
        fired = true;
        reach();
        await resumed;
      }
      return next(args);
    },
    { step: 'initialize', name: `postboxPause${++installed}` },
  );
  return { reached, resume };
}

/** The string value of `:name` in a request's ExpressionAttributeValues, if any. */
export function expressionValue(input: Record<string, unknown>, name: string): string | undefined {
  const values = input.ExpressionAttributeValues as Record<string, { S?: string }> | undefined;
  return values?.[name]?.S;
}
