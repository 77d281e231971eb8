/**
 * The CDK app (`npx cdk synth`, `npx cdk deploy`). One knob comes from the command line: a
 * throw-away development stack is deployed with `-c postbox:removalPolicy=destroy`; every other
 * deployment keeps its table when the stack goes.
 */

import { App, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { PostboxStack } from '../postbox-stack';

const app = new App();
// AWS Solutions checks on every synth: an unacknowledged finding fails it (each acknowledgement
// sits next to the resource it excuses, with its reason).
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

const removal = app.node.tryGetContext('postbox:removalPolicy') ?? 'retain';
if (removal !== 'retain' && removal !== 'destroy') {
  throw new Error(`postbox:removalPolicy must be "retain" or "destroy" (got ${JSON.stringify(removal)})`);
}

new PostboxStack(app, 'PostboxStack', {
  // No `env`: the stack is environment-agnostic (it does no lookups), so synth needs no account
  // and the template is the same for everyone; `cdk deploy` uses the CLI's account and region.
  postbox: { removalPolicy: removal === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN },
});
