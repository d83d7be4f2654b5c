// `npm run examples:pack`: builds the library, packs it (`npm pack`) and puts the tarball where the
// example apps' package.json expects it: examples/<name>/react-model-stream.tgz (ignored by git).
// Then, in an example: `npm install && npm run build && npm start` (see README.md).
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const run = (command, args) => {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
};
run('npm', ['run', 'build']);
const out = mkdtempSync(join(tmpdir(), 'rms-pack-'));
run('npm', ['pack', '--pack-destination', out, '--loglevel=error']);
const tarball = join(out, readdirSync(out).find((file) => file.endsWith('.tgz')));
for (const name of readdirSync(join(root, 'examples'), { withFileTypes: true })) {
  if (!name.isDirectory()) continue;
  copyFileSync(tarball, join(root, 'examples', name.name, 'react-model-stream.tgz'));
  console.log(`examples/${name.name}/react-model-stream.tgz`);
}
rmSync(out, { recursive: true, force: true });
