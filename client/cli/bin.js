#!/usr/bin/env node
// The `postbox` command (package.json "bin"). The CLI is TypeScript, run through tsx's CommonJS
// hooks like the rest of the repository, so it works from a fresh clone after `npm ci`.
require('tsx/cjs/api').require('./main.ts', __filename);
