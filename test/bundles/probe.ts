import { mkdtempSync, rmSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { PostboxStack } from '../../infra/postbox-stack';

const dir = mkdtempSync('/tmp/bundles-probe-');
const t0 = performance.now();
const app = new App({ outdir: dir });
new PostboxStack(app, 'PostboxStack');
const t1 = performance.now();
app.synth();
console.log('construct', Math.round(t1 - t0), 'synth', Math.round(performance.now() - t1));
rmSync(dir, { recursive: true });
