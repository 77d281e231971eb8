/**
 * What the three package builds share (packages/{client,cli,cdk}/build.mts): esbuild bundles of
 * the repository's sources with npm packages left as imports, a check that every package a bundle
 * imports is declared by the package (and nothing unused is), and `.d.ts` emitted by tsc.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { type BuildOptions, build, type Metafile, type Plugin } from 'esbuild';

export const REPO_ROOT = resolve(import.meta.dirname, '..');

export interface PackageJson {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

export const readPackageJson = (dir: string): PackageJson =>
  JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson;

/** Empties `dist/` (and any other build output) before a build, so nothing stale is packed. */
export function clean(...dirs: string[]): void {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}

/**
 * npm packages as imports that esbuild may drop when nothing of theirs is used: a module shared
 * with the server (functions/core/table.ts) imports the AWS SDK for functions the library never
 * calls, and the import alone would make the SDK a dependency of the package.
 */
const pureExternals: Plugin = {
  name: 'pure-externals',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) =>
      args.path.startsWith('node:') ? undefined : { path: args.path, external: true, sideEffects: false },
    );
  },
};

/**
 * One esbuild bundle for Node; npm packages stay imports unless `bundleAll` (with
 * `dropUnusedPackages`, those the bundle uses nothing of are left out).
 */
export async function bundle(
  options: BuildOptions & { bundleAll?: boolean; dropUnusedPackages?: boolean },
): Promise<Metafile> {
  const { bundleAll, dropUnusedPackages, ...rest } = options;
  const result = await build({
    absWorkingDir: REPO_ROOT,
    bundle: true,
    platform: 'node',
    target: 'node20',
    logLevel: 'warning',
    legalComments: 'none',
    ...rest,
    packages: bundleAll || dropUnusedPackages ? undefined : 'external',
    plugins: dropUnusedPackages ? [pureExternals, ...(rest.plugins ?? [])] : rest.plugins,
    metafile: true,
  });
  // Always there: `metafile: true` above.
  return result.metafile as Metafile;
}

/** `@scope/name/sub/path` → `@scope/name`; `node:fs` and relative paths → undefined. */
function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('node:') || specifier.startsWith('.') || specifier.startsWith('/'))
    return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** The npm packages the bundles' outputs import at run time. */
export function importedPackages(metafiles: Metafile[]): Set<string> {
  const names = new Set<string>();
  for (const metafile of metafiles) {
    for (const output of Object.values(metafile.outputs)) {
      for (const imported of output.imports) {
        const name = imported.external ? packageOf(imported.path) : undefined;
        if (name) names.add(name);
      }
    }
  }
  return names;
}

/**
 * Fails the build when a bundle imports a package the package.json does not declare (it would be
 * missing in a user's install), or when a declared dependency is never imported (dead weight).
 * `typeOnly` lists dependencies needed by the `.d.ts` only.
 */
export function checkDependencies(dir: string, imported: Set<string>, typeOnly: string[] = []): void {
  const pkg = readPackageJson(dir);
  const declared = new Set([
    ...Object.keys(pkg.dependencies ?? {}),
    ...Object.keys(pkg.peerDependencies ?? {}),
  ]);
  const problems: string[] = [];
  for (const name of imported) {
    if (!declared.has(name)) problems.push(`the bundle imports ${name}, which package.json does not declare`);
  }
  for (const name of declared) {
    if (!imported.has(name) && !typeOnly.includes(name)) {
      problems.push(`package.json declares ${name}, which nothing imports`);
    }
  }
  const root = readPackageJson(REPO_ROOT);
  const pinned = {
    ...root.dependencies,
    ...(root as { devDependencies?: Record<string, string> }).devDependencies,
  };
  for (const [name, range] of Object.entries(pkg.dependencies ?? {})) {
    if (pinned[name] !== undefined && pinned[name] !== range) {
      problems.push(
        `${name} is ${range} here but ${pinned[name]} in the root package.json (one version for all)`,
      );
    }
  }
  if (problems.length > 0) throw new Error(`${pkg.name}:\n- ${problems.join('\n- ')}`);
}

/** Emits `.d.ts` with the repository's tsc (tsconfig.build.json of the package). */
export function emitDeclarations(dir: string): void {
  execFileSync(join(REPO_ROOT, 'node_modules', '.bin', 'tsc'), ['-p', join(dir, 'tsconfig.build.json')], {
    cwd: dir,
    stdio: 'inherit',
  });
}

/**
 * Deletes every `.d.ts` under `typesDir` that `entry` does not reach through relative imports:
 * tsc emits one for each file of the program, the package needs only the ones its API names.
 */
export function pruneDeclarations(typesDir: string, entry: string): void {
  const reached = new Set<string>();
  const visit = (file: string) => {
    if (reached.has(file) || !existsSync(file)) return;
    reached.add(file);
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
      visit(resolve(dirname(file), `${match[1]}.d.ts`));
      visit(resolve(dirname(file), match[1] as string, 'index.d.ts'));
    }
  };
  visit(resolve(entry));
  for (const file of walk(typesDir)) if (!reached.has(file)) rmSync(file);
  removeEmptyDirs(typesDir);
}

export function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

function removeEmptyDirs(dir: string): void {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) removeEmptyDirs(path);
  }
  if (readdirSync(dir).length === 0) rmSync(dir, { recursive: true });
}

/** Sizes of the files written, for the build's one-line summary. */
export function summary(dir: string, files: string[]): string {
  return files
    .map((file) => `${relative(dir, file)} ${(statSync(file).size / 1024).toFixed(1)} kB`)
    .join(', ');
}
