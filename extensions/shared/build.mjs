// Bundles each UI extension's modules the way Shopify CLI does (esbuild, ESM, Preact JSX) into the
// extension's dist/ folder (gitignored; the CLI bundles again on deploy). Fails when a bundle is over
// Shopify's 64 KB compressed limit for UI extensions on API 2025-10 and later, which is enforced at deploy.
import {readdirSync, readFileSync, existsSync} from 'node:fs';
import {join, basename, extname, dirname} from 'node:path';
import {fileURLToPath} from 'node:url';
import {gzipSync} from 'node:zlib';
import {build} from 'esbuild';

const EXTENSIONS = join(dirname(fileURLToPath(import.meta.url)), '..');
const LIMIT_BYTES = 64 * 1024;

/** UI extension directories (a shopify.extension.toml of type "ui_extension"; the theme app extension has no
 * modules to bundle) and the modules their targets name. */
function extensionModules() {
  return readdirSync(EXTENSIONS, {withFileTypes: true})
    .filter((entry) => entry.isDirectory() && existsSync(join(EXTENSIONS, entry.name, 'shopify.extension.toml')))
    .map((entry) => ({dir: join(EXTENSIONS, entry.name),
                      toml: readFileSync(join(EXTENSIONS, entry.name, 'shopify.extension.toml'), 'utf8')}))
    .filter(({toml}) => /^\s*type\s*=\s*"ui_extension"/m.test(toml))
    .map(({dir, toml}) => {
      const modules = [...toml.matchAll(/^\s*module\s*=\s*"([^"]+)"/gm)].map((match) => match[1]);
      return {dir, modules};
    });
}

async function bundle(dir, module) {
  const outfile = join(dir, 'dist', `${basename(module, extname(module))}.js`);
  await build({
    entryPoints: [join(dir, module)], outfile, bundle: true, format: 'esm', target: 'es2020',
    jsx: 'automatic', jsxImportSource: 'preact', minify: true, legalComments: 'none', logLevel: 'warning',
  });
  const compressed = gzipSync(readFileSync(outfile)).length;
  console.log(`${outfile}: ${compressed} bytes compressed`);
  return compressed <= LIMIT_BYTES ? null : `${outfile} is ${compressed} bytes compressed (limit ${LIMIT_BYTES})`;
}

const problems = [];
for (const {dir, modules} of extensionModules()) {
  if (modules.length === 0) problems.push(`${dir}: no [[extensions.targeting]] module`);
  for (const module of modules) {
    const problem = await bundle(dir, module);
    if (problem) problems.push(problem);
  }
}
if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
