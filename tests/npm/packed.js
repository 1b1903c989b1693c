// The npm package as a user gets it: `npm pack` of the built package, installed
// from that tarball into an empty project.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireEnv, tempDir } from '../e2e/harness.js';

/** A temp project with `@sitekit/sdk` installed from its packed tarball. */
export function installPackedSdk() {
  const packageDir = requireEnv(
    'SITEKIT_NPM_PACKAGE_DIR',
    'run it through `cargo xtask test` (after `cargo xtask build`)',
  );
  const dir = tempDir();
  const npm = (args, cwd) => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const [packed] = JSON.parse(npm(['pack', packageDir, '--json', '--pack-destination', dir.path], dir.path));
  const project = join(dir.path, 'project');
  execFileSync('mkdir', [project]);
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'empty-project', private: true, type: 'module' }),
  );
  npm(['install', '--no-audit', '--no-fund', '--offline', join(dir.path, packed.filename)], project);
  return { dir, project, files: packed.files.map((file) => file.path) };
}
