// Runs the extensions' unit tests with Node's built-in test runner: each *.test.ts under extensions/
// is bundled by esbuild into build/extension-tests/ (gitignored), then `node --test` runs them.
import {readdirSync} from 'node:fs';
import {join, dirname} from 'node:path';
import {spawnSync} from 'node:child_process';
import {fileURLToPath} from 'node:url';
import {build} from 'esbuild';

const EXTENSIONS = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(EXTENSIONS, '..', 'build', 'extension-tests');

const tests = readdirSync(EXTENSIONS, {recursive: true})
  .filter((name) => name.endsWith('.test.ts') && !name.includes('node_modules'))
  .map((name) => join(EXTENSIONS, name));
if (tests.length === 0) {
  console.error('no *.test.ts files found under extensions/');
  process.exit(1);
}
const result = await build({
  entryPoints: tests, outdir: OUT, outbase: EXTENSIONS, bundle: true, platform: 'node', format: 'esm',
  target: 'node20', outExtension: {'.js': '.mjs'}, packages: 'external', logLevel: 'warning', metafile: true,
});
const files = Object.keys(result.metafile.outputs).filter((name) => name.endsWith('.mjs'));
const run = spawnSync(process.execPath, ['--test', ...files], {stdio: 'inherit'});
process.exit(run.status ?? 1);
