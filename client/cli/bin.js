#!/usr/bin/env node
/**
 * The `postbox` command (package.json "bin"; `npx postbox`, `npm run postbox --`).
 *
 * The CLI is TypeScript (main.ts). Loading it through tsx's hooks costs about 0.6 s of CPU on
 * every command, so it is bundled once with esbuild (a dependency already) into
 * node_modules/.cache/postbox/ and run with plain node (about 0.15 s). The bundle is rebuilt when
 * any file that went into it changed (esbuild's metafile lists them); if it cannot be built or
 * written (or POSTBOX_CLI_TSX=1 is set), the CLI runs through tsx as the rest of the repository does.
 */
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');
const entry = path.join(__dirname, 'main.ts');
const cacheDir = path.join(root, 'node_modules', '.cache', 'postbox');
const bundle = path.join(cacheDir, 'cli.cjs');
const manifest = path.join(cacheDir, 'cli.inputs.json');

/** Modification time and size of each input, to tell whether the bundle is current. */
function stamp(files) {
  const hash = createHash('sha256');
  for (const file of files) {
    const stat = fs.statSync(path.join(root, file), { throwIfNoEntry: false });
    hash.update(`${file}\0${stat ? `${stat.mtimeMs}:${stat.size}` : 'missing'}\n`);
  }
  return hash.digest('hex');
}

function isCurrent() {
  try {
    const { inputs, hash } = JSON.parse(fs.readFileSync(manifest, 'utf8'));
    return fs.existsSync(bundle) && stamp(inputs) === hash;
  } catch {
    return false;
  }
}

function build() {
  const { buildSync } = require('esbuild');
  const temporary = `${bundle}.${process.pid}.tmp`;
  const result = buildSync({
    entryPoints: [entry],
    absWorkingDir: root,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    // Dependencies are required from node_modules at run time, as they are installed.
    packages: 'external',
    outfile: temporary,
    metafile: true,
    logLevel: 'silent',
  });
  const inputs = Object.keys(result.metafile.inputs);
  fs.writeFileSync(`${manifest}.${process.pid}.tmp`, JSON.stringify({ inputs, hash: stamp(inputs) }));
  // Renames are atomic: two commands building at once each leave a whole bundle.
  fs.renameSync(temporary, bundle);
  fs.renameSync(`${manifest}.${process.pid}.tmp`, manifest);
}

const viaTsx = process.env.POSTBOX_CLI_TSX === '1';
let ready = !viaTsx && isCurrent();
if (!ready && !viaTsx) {
  try {
    fs.mkdirSync(cacheDir, { recursive: true });
    build();
    ready = true;
  } catch {
    ready = false;
  }
}
if (ready) require(bundle);
else require('tsx/cjs/api').require('./main.ts', __filename);
