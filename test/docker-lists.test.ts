// Side by side with the real docker CLI: the cases of src/docker-cli/testdata/list-cases.json
// (ps and images with --format and --filter, tables, inspect templates and their errors)
// were recorded from docker 20.10 by scripts/record-docker-lists.ts on the same busybox
// fixture and the same four containers; here tabdock makes those containers in the real
// guest and must print the same bytes and exit with the same status. Only the program's
// name in `See '... --help'` and the registry's address (REG) are normalised.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import recorded from '../src/docker-cli/testdata/docker-lists.json' with { type: 'json' };
import cases from '../src/docker-cli/testdata/list-cases.json' with { type: 'json' };
import { DOCKER_LISTS_KNOWN as KNOWN } from './support/docker-lists-known.ts';
import { busyboxCli, type CliHome, type TestRegistry } from './support/index.ts';

let reg: TestRegistry;
let cli: CliHome;

beforeAll(async () => {
  let image: string;
  ({ reg, cli, image } = await busyboxCli());
  const tagged = await cli.run('tag', image, 'bb:1');
  if (tagged.code !== 0) throw new Error(tagged.stderr);
  for (const s of cases.setup) {
    const r = await cli.run(...s);
    // c2 exits 3 on purpose.
    if (r.code !== 0 && r.code !== 3) throw new Error(`tabdock ${s.join(' ')}: ${r.stderr}`);
  }
}, 600_000);
afterAll(async () => {
  cli?.dispose();
  await reg?.stop();
});

describe(`lists and templates as ${recorded.recordedWith} prints them`, () => {
  it.each(recorded.cases.map((c) => ({ ...c, name: c.args.join(' ') })))('$name', async (c) => {
    const r = await cli.run(...c.args);
    const norm = (s: string) => s.replaceAll(reg.host, 'REG').replaceAll("See 'tabdock ", "See 'docker ").replace(/^tabdock: /, 'docker: ');
    const want = { stdout: c.stdout, stderr: (KNOWN[c.name]?.stderrPrefix ?? '') + c.stderr, code: c.code };
    expect({ stdout: norm(r.stdout), stderr: norm(r.stderr), code: r.code }).toEqual(want);
  }, 120_000);
});
