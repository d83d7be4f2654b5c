/**
 * The package as a consumer gets it, for the tests in test/package/: built from this checkout with
 * the real build steps (vite, tsc, scripts/dts-specifiers.mjs, scripts/check-dist.mjs) into a
 * temporary directory, never into the repo's dist/ (another build or test may be reading it), and
 * packed with `npm pack` from there (package.json's `files` decide what goes in, as on publish).
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const repo = join(import.meta.dirname, '../../..');
const bin = (path: string) => join(repo, 'node_modules', path);

/** A fresh temporary directory, removed by the returned `cleanup`. */
export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `rms-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function node(args: string[], cwd = repo): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, args, { cwd, maxBuffer: 32 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } });
}

/**
 * Builds the package into `<dir>/dist` next to a copy of package.json and README.md: the JavaScript
 * (vite), and with `declarations` the .d.ts files (tsc, then the specifier step). Runs the dist check
 * on it, so a build that check-dist rejects fails here too.
 */
export async function buildPackage(dir: string, { declarations }: { declarations: boolean }): Promise<string> {
  const dist = join(dir, 'dist');
  await node([bin('vite/bin/vite.js'), 'build', '--outDir', dist, '--emptyOutDir', '--logLevel', 'warn']);
  if (declarations) {
    await node([bin('typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', dist]);
    await node([join(repo, 'scripts/dts-specifiers.mjs'), dist]);
  }
  for (const file of ['package.json', 'README.md']) cpSync(join(repo, file), join(dir, file));
  if (declarations) await node([join(repo, 'scripts/check-dist.mjs'), dir]);
  return dist;
}

/** `npm pack` of a built package directory; returns the tarball's path. */
export async function packPackage(dir: string, destination: string): Promise<string> {
  mkdirSync(destination, { recursive: true });
  await run('npm', ['pack', '--silent', '--ignore-scripts', '--pack-destination', destination], { cwd: dir, env: { ...process.env, npm_config_workspaces: 'false' } });
  const tarball = readdirSync(destination).find((file) => file.endsWith('.tgz'));
  if (!tarball) throw new Error(`npm pack wrote no tarball into ${destination}`);
  return join(destination, tarball);
}

/**
 * Installs the tarball into `<consumer>/node_modules/react-model-stream` (extracted, as npm would:
 * the package itself comes only from the tarball) and links the given packages (peers, the runtime
 * dependency, @types) from the repo's node_modules, where `npm ci` put them: no registry needed.
 */
export async function installTarball(tarball: string, consumer: string, links: string[]): Promise<string> {
  const target = join(consumer, 'node_modules/react-model-stream');
  mkdirSync(target, { recursive: true });
  await run('tar', ['-xzf', tarball, '-C', target, '--strip-components=1']);
  for (const name of links) {
    const link = join(consumer, 'node_modules', name);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(join(repo, 'node_modules', name), link, 'dir');
  }
  return target;
}
