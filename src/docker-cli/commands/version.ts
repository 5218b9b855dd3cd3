import type { Command } from '../command.ts';
import { tabwrite } from '../format.ts';
import { goStruct, templateError } from '../formatter.ts';
import { GoTemplate, TemplateParseError } from '../gotemplate/index.ts';

export const VERSION = '0.1.0';

/**
 * The product's version (it is tabdock's, whatever name it is invoked as), and what it
 * runs on. `--format` runs over Docker's shape (`{{.Client.Version}}`); `version` asks
 * no daemon, so `.Server` is nil, as in Docker when the daemon cannot be reached.
 */
export const version: Command = {
  name: 'version',
  usage: 'version [OPTIONS]',
  description: 'Show the tabdock version information',
  flags: [{ name: 'format', short: 'f', type: 'string', value: 'string', help: 'Format the output using the given Go template' }],
  args: [0, 0],
  async run(p, { io, runtime }) {
    const format = p.flags['format'] as string | undefined;
    if (format === undefined) {
      io.out(`tabdock version ${VERSION}\n${runtime ? `${runtime}\n` : ''}`);
      return 0;
    }
    let tmpl: GoTemplate;
    try {
      tmpl = GoTemplate.parse(format, undefined, 'version');
    } catch (e) {
      // docker/cli runVersion: a template that does not parse exits 64.
      if (e instanceof TemplateParseError) throw templateError(e, 64);
      throw e;
    }
    const [os, arch] = /\(([^/)]+)\/([^)]+)\)/.exec(runtime ?? '')?.slice(1) ?? ['', ''];
    const data = goStruct('system.versionInfo', {
      Client: { Platform: { Name: 'tabdock' }, Version: VERSION, Os: os, Arch: arch, Runtime: runtime ?? '' },
      Server: null,
    });
    // prettyPrintVersion: through a tabwriter (20, 1, 1), a newline, and the error if it failed.
    const r = tmpl.executePartial(data);
    io.out(tabwrite(`${r.text}\n`, 20, 1));
    if (r.error) {
      io.err(`${r.error.message}\n`);
      return 1;
    }
    return 0;
  },
};
