// Runs Shopify's theme check (@shopify/theme-check-node, pinned in package.json) on the theme app extension (or
// the theme at `--root DIR`) with the factory configs named on the command line (default: theme-app-extension and
// all) and prints one JSON object: {config: [offense, ...]}. Exits 1 when any config reports an offense.
//
// Offline and repeatable: the Liquid docs theme check would fetch from GitHub are read from SHOPIFY_TLD_ROOT
// when it is set (tests/test_shopify_platform_tools.py points it at an empty directory, so the docs bundled
// with the pinned package are used).
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import themeCheck from '@shopify/theme-check-node';

const args = process.argv.slice(2);
const rootAt = args.indexOf('--root');
const HERE = dirname(fileURLToPath(import.meta.url));
const THEME = rootAt >= 0 ? args.splice(rootAt, 2)[1] : join(HERE, '..', 'aftercare-theme');
const configs = args.length ? args : ['theme-app-extension', 'all'];

/** A config file: the factory config in the app context (a theme app extension's blocks are app blocks; without
 * it `all` would check them as a theme's own blocks, which may not have `target`). */
function configFile(dir, config) {
  const path = join(dir, `${config}.yml`);
  writeFileSync(path, `extends: theme-check:${config}\ncontext: app\n`);
  return path;
}

const dir = mkdtempSync(join(tmpdir(), 'aftercare-theme-check-'));
const report = {};
for (const config of configs) {
  const offenses = await themeCheck.check(THEME, configFile(dir, config));
  report[config] = offenses.map((o) => ({
    check: o.check, severity: o.severity, message: o.message, uri: o.uri.replace(/^.*\/aftercare-theme\//, ''),
    line: o.start?.line === undefined ? null : o.start.line + 1,
  }));
}
rmSync(dir, {recursive: true, force: true});
console.log(JSON.stringify(report, null, 2));
process.exit(Object.values(report).some((offenses) => offenses.length) ? 1 : 0);
