// npm 11's `npm ci` checks every optional dependency named in the lock file, but npm
// writes lock entries only for the platform it ran on (npm/cli#4828). This adds the
// missing platform-specific entries (version, integrity, os/cpu/libc) from the registry
// metadata, without download addresses. Run after changing dependencies:
//   node scripts/fill-lock-optionals.mjs
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
const pkgs = lock.packages;
let added = 0;
for (const [key, entry] of Object.entries(pkgs)) {
  for (const [name, range] of Object.entries(entry.optionalDependencies ?? {})) {
    const at = `node_modules/${name}`;
    if (pkgs[at]) continue;
    let m;
    try {
      const meta = JSON.parse(execFileSync('npm', ['view', `${name}@${range}`, '--json', 'version', 'dist.integrity', 'os', 'cpu', 'libc', 'license', 'engines'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
      m = Array.isArray(meta) ? meta.at(-1) : meta;
    } catch {
      // Not in the registry this machine reaches (it mirrors what Linux needs): record the
      // platform from the package's name; npm never installs it here, only checks it.
      m = { version: range, ...platformOf(name) };
    }
    pkgs[at] = {
      version: m.version,
      ...(m['dist.integrity'] ? { integrity: m['dist.integrity'] } : {}),
      ...(m.cpu ? { cpu: m.cpu } : {}),
      ...(m.libc ? { libc: m.libc } : {}),
      ...(m.license ? { license: m.license } : {}),
      optional: true,
      ...(m.os ? { os: m.os } : {}),
      ...(m.engines ? { engines: m.engines } : {}),
    };
    added++;
    process.stderr.write(`added ${at}@${m.version} (for ${key || 'root'})\n`);
  }
}
lock.packages = Object.fromEntries(Object.entries(pkgs).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
writeFileSync(path, JSON.stringify(lock, null, 2) + '\n');
process.stderr.write(`${added} entries added\n`);

/** `@rollup/rollup-linux-arm64-musl` -> os linux, cpu arm64, libc musl (the binding naming scheme). */
function platformOf(name) {
  const parts = name.split('/').pop().split('-').slice(1);
  const [os, cpu, abi] = parts;
  const libc = abi?.startsWith('musl') ? ['musl'] : abi?.startsWith('gnu') ? ['glibc'] : undefined;
  return { os: [os], cpu: [cpu], ...(libc ? { libc } : {}) };
}
