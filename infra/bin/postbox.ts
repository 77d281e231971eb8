/**
 * The CDK app (`npx cdk synth`, `npx cdk deploy`). One knob comes from the command line: a
 * throw-away development stack is deployed with `-c postbox:removalPolicy=destroy`; every other
 * deployment keeps its table when the stack goes.
 */

import { App, RemovalPolicy } from 'aws-cdk-lib';
import { PostboxStack } from '../postbox-stack';

const app = new App();

const removal = app.node.tryGetContext('postbox:removalPolicy') ?? 'retain';
if (removal !== 'retain' && removal !== 'destroy') {
  throw new Error(`postbox:removalPolicy must be "retain" or "destroy" (got ${JSON.stringify(removal)})`);
}

new PostboxStack(app, 'PostboxStack', {
  // No `env`: the stack is environment-agnostic (it does no lookups), so synth needs no account
  // and the template is the same for everyone; `cdk deploy` uses the CLI's account and region.
  postbox: { removalPolicy: removal === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN },
});
