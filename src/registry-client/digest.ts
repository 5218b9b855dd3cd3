import { TabdockError } from '../shared/errors.ts';

/**
 * A content digest (OCI image spec, "Digests"): `algorithm ":" encoded`. Parsed at the
 * edge so that nothing inside handles loose strings. Only sha256 and sha512 are
 * registered algorithms; we verify sha256 (the only one registries use for blobs).
 */
export class Digest {
  private constructor(
    readonly algorithm: 'sha256' | 'sha512',
    readonly hex: string,
  ) {}

  static parse(s: string): Digest {
    const m = /^(sha256|sha512):([a-f0-9]+)$/.exec(s);
    const len = m?.[1] === 'sha256' ? 64 : 128;
    if (!m || m[2]!.length !== len) {
      throw new TabdockError('INVALID_DIGEST', `invalid digest "${s}": expected sha256: followed by 64 lowercase hex digits`, { digest: s });
    }
    return new Digest(m[1] as 'sha256' | 'sha512', m[2]!);
  }

  static tryParse(s: string): Digest | undefined {
    try {
      return Digest.parse(s);
    } catch {
      return undefined;
    }
  }

  static fromHex(hex: string): Digest {
    return Digest.parse(`sha256:${hex}`);
  }

  /** The 12-character short form Docker prints for image and layer IDs. */
  get short(): string {
    return this.hex.slice(0, 12);
  }

  equals(other: Digest): boolean {
    return this.algorithm === other.algorithm && this.hex === other.hex;
  }

  toString(): string {
    return `${this.algorithm}:${this.hex}`;
  }

  toJSON(): string {
    return this.toString();
  }
}
