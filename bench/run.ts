// `npm run bench`: every figure beside a baseline measured in the same run; prints a
// table and writes bench/results/latest.json.
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchPull } from './pull.ts';
import { benchPush } from './push.ts';
import { benchDebianRun, benchPullUnpacked } from './pull-unpacked.ts';
import { printTable, type BenchRow } from './table.ts';

const here = dirname(fileURLToPath(import.meta.url));

type Section = { name: string; run: () => Promise<BenchRow[]> };

/** Sections of other parts are picked up when their module exists. */
async function optional(name: string, file: string, exportName: string): Promise<Section | undefined> {
  if (!existsSync(join(here, file))) return undefined;
  const mod = (await import(`./${file}`)) as Record<string, unknown>;
  const fn = (mod[exportName] ?? mod['default']) as (() => Promise<BenchRow[]>) | undefined;
  return fn ? { name, run: fn } : undefined;
}

const only = process.argv.slice(2);
const sections = [
  { name: 'pull', run: benchPull },
  { name: 'pull-unpacked', run: benchPullUnpacked },
  { name: 'push', run: benchPush },
  { name: 'debian', run: benchDebianRun },
  await optional('fs-layers', 'fs-layers.ts', 'benchFsLayers'),
  await optional('guest', 'guest.ts', 'benchGuest'),
  await optional('engine', 'engine.ts', 'benchEngine'),
  await optional('browser', 'browser.ts', 'benchBrowser'),
  await optional('wasi', 'wasi.ts', 'benchWasi'),
  await optional('attacks', 'attacks.ts', 'benchAttacks'),
  await optional('network', 'network.ts', 'benchNetwork'),
  await optional('page-network', 'page-network.ts', 'benchPageNetwork'),
  await optional('link', 'link.ts', 'benchLink'),
  await optional('emulation', 'emulation.ts', 'benchEmulation'),
  await optional('build', 'build.ts', 'benchBuild'),
  await optional('compose', 'compose.ts', 'benchCompose'),
  await optional('realimg', 'realimg.ts', 'benchRealimg'),
  await optional('guest-memory', 'guest-memory.ts', 'benchGuestMemory'),
].filter((s): s is Section => s !== undefined && (only.length === 0 || only.includes(s.name)));

const rows: (BenchRow & { section: string })[] = [];
const failures: { section: string; error: string }[] = [];
for (const s of sections) {
  process.stderr.write(`bench: ${s.name}...\n`);
  try {
    for (const r of await s.run()) rows.push({ section: s.name, ...r });
  } catch (e) {
    failures.push({ section: s.name, error: e instanceof Error ? e.message : String(e) });
  }
}
console.log(printTable(rows));
for (const f of failures) console.log(`section ${f.section} failed: ${f.error}`);
const out = join(here, 'results');
mkdirSync(out, { recursive: true });
const doc = { date: new Date().toISOString(), node: process.version, rows, failures };
writeFileSync(join(out, 'latest.json'), JSON.stringify(doc, null, 2));
console.log(`\nwritten: ${join(out, 'latest.json')}`);
process.exitCode = failures.length ? 1 : 0;
