import { TabdockError } from '../shared/errors.ts';
import { Digest } from './digest.ts';

/**
 * Image references, parsed and normalised exactly as Docker does
 * (github.com/distribution/reference: `ParseNormalizedNamed` + `TagNameOnly`).
 */
export const DOCKER_HUB = 'docker.io';
/** Docker Hub's API lives on another host than its name. */
export const DOCKER_HUB_API = 'registry-1.docker.io';
const LEGACY_HUB = 'index.docker.io';
const NAME_MAX = 255;

// The grammar of distribution/reference/regexp.go.
const alnum = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const pathComponent = `${alnum}(?:${separator}${alnum})*`;
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const host = `(?:${domainComponent}(?:\\.${domainComponent})*|\\[[a-fA-F0-9:]+\\])`;
const domain = `${host}(?::[0-9]+)?`;
const tag = '[\\w][\\w.-]{0,127}';
const digest = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const REFERENCE = new RegExp(`^((?:${domain}/)?${pathComponent}(?:/${pathComponent})*)(?::(${tag}))?(?:@(${digest}))?$`);
const DOMAIN = new RegExp(`^${domain}$`);
const BARE_ID = /^[a-f0-9]{64}$/;

export class Reference {
  constructor(
    /** Registry as named in references: `docker.io`, `ghcr.io`, `127.0.0.1:5000`. */
    readonly registry: string,
    /** Repository path: `library/alpine`. */
    readonly repository: string,
    readonly tag: string | undefined,
    readonly digest: Digest | undefined,
  ) {}

  /** The host the registry API answers on. */
  get apiHost(): string {
    return this.registry === DOCKER_HUB ? DOCKER_HUB_API : this.registry;
  }

  /** `docker.io/library/alpine` */
  get name(): string {
    return `${this.registry}/${this.repository}`;
  }

  /** The short name Docker prints: `alpine`, `user/app`, `ghcr.io/o/app`. */
  get familiarName(): string {
    if (this.registry !== DOCKER_HUB) return this.name;
    return this.repository.startsWith('library/') && this.repository.split('/').length === 2
      ? this.repository.slice('library/'.length)
      : this.repository;
  }

  /** What a manifest request names: the digest when pinned, else the tag. */
  get manifestRef(): string {
    return this.digest ? this.digest.toString() : (this.tag ?? 'latest');
  }

  withTag(t: string): Reference {
    return new Reference(this.registry, this.repository, t, undefined);
  }

  withDigest(d: Digest): Reference {
    return new Reference(this.registry, this.repository, undefined, d);
  }

  /** Fully qualified: `docker.io/library/alpine:latest@sha256:...`. */
  toString(): string {
    return `${this.name}${this.tag ? `:${this.tag}` : ''}${this.digest ? `@${this.digest}` : ''}`;
  }

  /** Familiar form: `alpine:latest`. */
  familiar(): string {
    return `${this.familiarName}${this.tag ? `:${this.tag}` : ''}${this.digest ? `@${this.digest}` : ''}`;
  }
}

function invalid(input: string, why?: string): TabdockError {
  return new TabdockError('INVALID_REFERENCE', why ? `invalid reference format: ${why}` : 'invalid reference format', { reference: input });
}

/**
 * Parses a user-typed reference. With no tag and no digest the tag is `latest`
 * (Docker's `TagNameOnly`); `name:tag@digest` keeps both and pulls by digest.
 */
export function parseReference(input: string): Reference {
  const s = input.trim();
  if (s === '') throw invalid(input);
  if (BARE_ID.test(s)) {
    throw new TabdockError('INVALID_REFERENCE', `invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`, { reference: input });
  }
  const slash = s.indexOf('/');
  let registry = DOCKER_HUB;
  let remainder = s;
  if (slash !== -1) {
    const first = s.slice(0, slash);
    // A first part is a registry only with a '.', a ':', "localhost", or an upper-case letter.
    if (/[.:]/.test(first) || first === 'localhost' || first.toLowerCase() !== first) {
      registry = first;
      remainder = s.slice(slash + 1);
    }
  }
  if (registry === LEGACY_HUB) registry = DOCKER_HUB;
  if (registry === DOCKER_HUB && !remainder.includes('/')) remainder = `library/${remainder}`;

  const atTag = remainder.search(/[:@]/);
  const remoteName = atTag === -1 ? remainder : remainder.slice(0, atTag);
  if (remoteName.toLowerCase() !== remoteName) throw invalid(input, `repository name (${remoteName}) must be lowercase`);
  if (!DOMAIN.test(registry)) throw invalid(input);

  const m = REFERENCE.exec(`${registry}/${remainder}`);
  if (!m) throw invalid(input);
  const fullName = m[1]!;
  if (fullName.length > NAME_MAX) throw invalid(input, `repository name must not be more than ${NAME_MAX} characters`);
  const repository = fullName.slice(registry.length + 1);
  let d: Digest | undefined;
  if (m[3] !== undefined) {
    d = Digest.tryParse(m[3]);
    if (!d) throw new TabdockError('INVALID_REFERENCE', `invalid reference format: unsupported digest ${m[3]}`, { reference: input });
  }
  const t = m[2] ?? (d ? undefined : 'latest');
  return new Reference(registry, repository, t, d);
}

/** True when the string names no tag or digest (Docker then says "Using default tag: latest"). */
export function usesDefaultTag(input: string): boolean {
  const lastSlash = input.lastIndexOf('/');
  const last = input.slice(lastSlash + 1);
  return !last.includes(':') && !input.includes('@');
}
