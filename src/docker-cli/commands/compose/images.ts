import { orderServices, type Project } from '../../../compose/index.ts';
import { parseReference } from '../../../registry-client/reference.ts';
import { TabdockError, messageOf } from '../../../shared/errors.ts';
import { ago, humanSize, tabwrite } from '../../format.ts';
import { PullPrinter } from '../../progress.ts';
import { cliError, ensureImage, load, nameOf, projectContainers, status, LABEL, type Sub } from '../compose.ts';

/**
 * `compose build`, `pull`, `push` and `images` (docker/compose `pkg/compose/build.go`,
 * `pull.go`, `push.go`, `cmd/compose/images.go`): over the services' images as compose
 * names them, `image:` or `<project>-<service>` for a service that is only built.
 */

/** The services named (all when none), dependencies first; an unknown name is an error. */
function servicesOf(project: Project, asked: string[]): string[] {
  for (const s of asked) if (!project.services[s]) throw cliError(`no such service: ${s}`);
  return orderServices(project.services).filter((n) => !asked.length || asked.includes(n));
}

export const build: Sub = {
  usage: 'compose build [OPTIONS] [SERVICE...]',
  description: 'Build or rebuild services',
  flags: [],
  args: [0, Infinity],
  async run(p, g, ctx) {
    const l = await load(g, ctx.io, p.args);
    const api = await ctx.engine();
    // A service without `build:` has nothing to build (compose skips it).
    for (const name of servicesOf(l.project, p.args)) {
      const s = l.project.services[name]!;
      if (s.build) await ensureImage(api, l, name, s, ctx, true);
    }
    return 0;
  },
};

export const pull: Sub = {
  usage: 'compose pull [OPTIONS] [SERVICE...]',
  description: 'Pull service images',
  flags: [{ name: 'quiet', short: 'q', type: 'bool', help: 'Pull without printing progress information' }],
  args: [0, Infinity],
  async run(p, g, ctx) {
    const { io } = ctx;
    const { project } = await load(g, io, p.args);
    const api = await ctx.engine();
    const quiet = p.flags['quiet'] === true;
    const mustBuild: string[] = [];
    for (const name of servicesOf(project, p.args)) {
      const s = project.services[name]!;
      if (!s.image) {
        if (!quiet) status(io, 'Service', name, 'Skipped - No image to be pulled');
        continue;
      }
      if (!quiet) status(io, 'Service', name, 'Pulling');
      try {
        await api.pull(s.image, {}, quiet ? undefined : new PullPrinter(io.err, false).onEvent);
      } catch (e) {
        // compose: an image a service can build is built, not a failure of pull.
        if (!s.build) throw e;
        if (!quiet) status(io, 'Service', name, `Warning: ${messageOf(e)}`);
        mustBuild.push(name);
        continue;
      }
      if (!quiet) status(io, 'Service', name, `Pulled (${parseReference(s.image).familiar()})`);
    }
    if (mustBuild.length) io.err(`WARNING: Some service image(s) must be built from source by running:\n    ${ctx.prog} compose build ${mustBuild.join(' ')}\n`);
    return 0;
  },
};

export const push: Sub = {
  usage: 'compose push [OPTIONS] [SERVICE...]',
  description: 'Push service images',
  flags: [{ name: 'quiet', short: 'q', type: 'bool', help: 'Push without printing progress information' }],
  args: [0, Infinity],
  async run(p, g, ctx) {
    const { io } = ctx;
    const { project } = await load(g, io, p.args);
    const api = await ctx.engine();
    const quiet = p.flags['quiet'] === true;
    for (const name of servicesOf(project, p.args)) {
      const s = project.services[name]!;
      // compose pushes what it builds and has a name to push to; the rest is skipped.
      if (!s.build || !s.image) {
        if (!quiet) status(io, 'Service', name, 'Skipped');
        continue;
      }
      if (!quiet) status(io, 'Service', name, 'Pushing');
      await api.push(s.image, quiet ? undefined : new PullPrinter(io.err, false).onEvent);
      if (!quiet) status(io, 'Service', name, `Pushed (${parseReference(s.image).familiar()})`);
    }
    return 0;
  },
};

interface ImageFacts {
  Id: string;
  RepoTags?: string[];
  Size?: number;
  Created?: string;
  Os?: string;
  Architecture?: string;
  Variant?: string;
}

/** `compose images`: one row per container (CONTAINER, REPOSITORY, TAG, PLATFORM, IMAGE ID, SIZE, CREATED). */
export const images: Sub = {
  usage: 'compose images [OPTIONS] [SERVICE...]',
  description: 'List images used by the created containers',
  flags: [{ name: 'quiet', short: 'q', type: 'bool', help: 'Only display IDs' }],
  args: [0, Infinity],
  async run(p, g, ctx) {
    const { io } = ctx;
    const { project } = await load(g, io);
    for (const s of p.args) if (!project.services[s]) throw cliError(`no such service: ${s}`);
    const api = await ctx.engine();
    const list = (await projectContainers(api, project.name, true, true))
      .filter((c) => !p.args.length || p.args.includes(c.Labels![`${LABEL}.service`]!))
      .sort((a, b) => (nameOf(a) < nameOf(b) ? -1 : nameOf(a) > nameOf(b) ? 1 : 0));
    const facts = (await api.inspectImages(list.map((c) => c.ImageID))) as Array<ImageFacts | undefined>;
    if (p.flags['quiet'] === true) {
      const ids = [...new Set(facts.filter((f): f is ImageFacts => !!f).map((f) => f.Id.replace(/^[^:]*:/, '')))];
      io.out(ids.map((i) => `${i}\n`).join(''));
      return 0;
    }
    const now = new Date();
    const rows = list.map((c, i) => {
      const f = facts[i];
      if (!f) throw new TabdockError('NO_SUCH_IMAGE', `No such image: ${c.ImageID}`, { image: c.ImageID });
      // The reference the container was made from, else the image's first tag.
      const named = c.Image.startsWith('sha256:') ? f.RepoTags?.[0] : c.Image;
      const ref = named ? parseReference(named) : undefined;
      const platform = f.Os ? `${f.Os}/${f.Architecture ?? ''}${f.Variant ? `/${f.Variant}` : ''}` : '';
      return [nameOf(c), ref ? ref.familiarName : '<none>', ref?.tag ?? '<none>', platform, f.Id.replace(/^[^:]*:/, '').slice(0, 12), humanSize(f.Size ?? 0), f.Created ? ago(f.Created, now) : 'N/A'];
    });
    io.out(tabwrite([['CONTAINER', 'REPOSITORY', 'TAG', 'PLATFORM', 'IMAGE ID', 'SIZE', 'CREATED'], ...rows].map((r) => `${r.join('\t')}\n`).join(''), 20, 3));
    return 0;
  },
};
