/** The deployable Postbox stack: wiring only; the constructs in constructs/ hold the decisions. */

import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { Postbox, type PostboxProps } from './constructs/postbox';

export interface PostboxStackProps extends StackProps {
  /**
   * Options passed to the {@link Postbox} construct.
   * @default - the Postbox defaults (table retained, AWS-owned encryption key)
   */
  readonly postbox?: PostboxProps;
}

/**
 * Postbox on its own: the {@link Postbox} construct and the outputs a client needs.
 *
 * @example
 * new PostboxStack(app, 'PostboxStack', { postbox: { removalPolicy: RemovalPolicy.DESTROY } });
 */
export class PostboxStack extends Stack {
  public readonly postbox: Postbox;

  constructor(scope: Construct, id: string, props: PostboxStackProps = {}) {
    super(scope, id, { description: 'Postbox: a serverless message queue on DynamoDB', ...props });
    this.postbox = new Postbox(this, 'Postbox', props.postbox);
    new CfnOutput(this, 'ApiUrl', {
      value: this.postbox.apiUrl,
      description: 'Base URL of the Postbox HTTP API (SigV4, service execute-api)',
    });
    new CfnOutput(this, 'TableName', {
      value: this.postbox.table.tableName,
      description: 'The Postbox DynamoDB table',
    });
  }
}
