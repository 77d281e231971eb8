#!/usr/bin/env node
/**
 * The `postbox` command of @postbox/cli: the bundle in dist/. npm also links this bin into the
 * repository's own node_modules/.bin (packages/* are workspaces), where `npx postbox` must keep
 * running the CLI from its sources, built or not: there, and only there, build.mts sits beside
 * package.json (it is never packed), and the repository's client/cli/bin.js runs instead.
 */
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const packageDir = join(__dirname, '..');
if (existsSync(join(packageDir, 'build.mts')))
  require(join(packageDir, '..', '..', 'client', 'cli', 'bin.js'));
else require('../dist/postbox.cjs');
