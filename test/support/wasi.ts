// WASI test programs and images. The C sources in test/wasi/programs are compiled with
// Debian's clang and wasi-libc (`clang --target=wasm32-wasi --sysroot=/usr`), cached per
// machine under `os.tmpdir()/tabdock-wasi-<hash of sources and this file>/`; images are OCI
// layouts written by hand beside them, in the forms tabdock must run:
// - 'tar': a normal image, platform wasi/wasm (or wasip1/wasm), a gzip tar layer holding
//   the module at /<name>.wasm, Entrypoint naming it (what `docker buildx --platform
//   wasi/wasm` makes from `FROM scratch`, `COPY`, `ENTRYPOINT`);
// - 'artifact': the CNCF wasm OCI artifact (config `application/vnd.wasm.config.v0+json`
//   with os wasip1, one `application/wasm` layer that is the raw module, titled by annotation);
// - 'wasm-to-oci': wasm-to-oci's form (config `application/vnd.wasm.config.v1+json` `{}`,
//   one `application/vnd.wasm.content.layer.v1+wasm` layer);
// - 'index': an OCI index of linux/amd64 (a tar layer with a text file) and the 'tar' image;
// - 'index-only': an OCI index whose only platform is wasip1/wasm.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { packTar } from 'modern-tar';
import { MT, setTag, writeBlob, writeJsonBlob, type Descriptor } from './oci-layout.ts';
import { run } from './proc.ts';
import type { TestRegistry } from './registry.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
export const WASI_SOURCES = join(HERE, '..', 'wasi', 'programs');
export const WASI_PROGRAMS = readdirSync(WASI_SOURCES).filter((f) => f.endsWith('.c')).map((f) => f.slice(0, -2));
export const CLANG_ARGS = ['--target=wasm32-wasi', '--sysroot=/usr', '-O2', '-s', '-Wall'];

const VERSION = [join(HERE, 'wasi.ts'), ...WASI_PROGRAMS.map((p) => join(WASI_SOURCES, `${p}.c`))]
  .reduce((h, f) => h.update(readFileSync(f)), createHash('sha256').update(CLANG_ARGS.join(' ')))
  .digest('hex')
  .slice(0, 12);
export const WASI_CACHE = join(tmpdir(), `tabdock-wasi-${VERSION}`);

const compiling = new Map<string, Promise<string>>();

/** The compiled module of test/wasi/programs/<name>.c (built once per machine). */
export function wasiModule(name: string): Promise<string> {
  if (!WASI_PROGRAMS.includes(name)) return Promise.reject(new Error(`no WASI test program ${name}`));
  let p = compiling.get(name);
  if (!p) {
    p = (async () => {
      const out = join(WASI_CACHE, `${name}.wasm`);
      if (existsSync(out)) return out;
      mkdirSync(WASI_CACHE, { recursive: true });
      const tmp = `${out}.${process.pid}.tmp`;
      await run('clang', [...CLANG_ARGS, '-o', tmp, join(WASI_SOURCES, `${name}.c`)]);
      renameSync(tmp, out);
      return out;
    })();
    compiling.set(name, p);
  }
  return p;
}

export type WasiImageForm = 'tar' | 'artifact' | 'wasm-to-oci' | 'index' | 'index-only';

export interface WasiImageOptions {
  /** The platform os of the 'tar' form: 'wasi' (default) or 'wasip1'. */
  os?: 'wasi' | 'wasip1';
  /** Image config fields of the 'tar' form (default Entrypoint ["/<name>.wasm"]). */
  config?: Record<string, unknown>;
  /** More entries of the 'tar' form's layer: files (`text`) or symlinks (`link`). */
  files?: { path: string; text?: string; link?: string }[];
}

type LayerFile = { path: string; data: Uint8Array; mode: number } | { path: string; link: string };

const TAG = 'latest';
const sha256 = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

function newLayout(dir: string): void {
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [] }));
}

async function tarImage(dir: string, files: LayerFile[], platform: { os: string; architecture: string }, config: Record<string, unknown>): Promise<Descriptor> {
  const tar = await packTar(files.map((f) => ('link' in f
    ? { header: { name: f.path, size: 0, mode: 0o777, type: 'symlink' as const, linkname: f.link, mtime: new Date(0), uid: 0, gid: 0 } }
    : { header: { name: f.path, size: f.data.length, mode: f.mode, type: 'file' as const, mtime: new Date(0), uid: 0, gid: 0 }, body: f.data })));
  const layer = writeBlob(dir, MT.ociLayerGzip, gzipSync(tar));
  const cfg = writeJsonBlob(dir, MT.ociConfig, {
    created: '2025-01-01T00:00:00Z', ...platform, config,
    rootfs: { type: 'layers', diff_ids: [sha256(tar)] },
    history: [{ created: '2025-01-01T00:00:00Z', created_by: 'tabdock test: COPY module' }],
  });
  return writeJsonBlob(dir, MT.ociManifest, { schemaVersion: 2, mediaType: MT.ociManifest, config: cfg, layers: [layer] });
}

function rawImage(dir: string, module: Uint8Array, name: string, form: 'artifact' | 'wasm-to-oci'): Descriptor {
  const layerType = form === 'artifact' ? 'application/wasm' : 'application/vnd.wasm.content.layer.v1+wasm';
  const layer = { ...writeBlob(dir, layerType, Buffer.from(module)), annotations: { 'org.opencontainers.image.title': `${name}.wasm` } };
  const cfg = form === 'artifact'
    ? writeJsonBlob(dir, 'application/vnd.wasm.config.v0+json', { created: '2025-01-01T00:00:00Z', architecture: 'wasm', os: 'wasip1', layerDigests: [layer.digest] })
    : writeBlob(dir, 'application/vnd.wasm.config.v1+json', '{}');
  return writeJsonBlob(dir, MT.ociManifest, { schemaVersion: 2, mediaType: MT.ociManifest, config: cfg, layers: [layer] });
}

const building = new Map<string, Promise<string>>();

/** Builds (once per machine) an image of program `name` in `form`; returns `oci:PATH:latest`. */
export function wasiImageLayout(name: string, form: WasiImageForm, opts: WasiImageOptions = {}): Promise<string> {
  const key = `${name}-${form}-${createHash('sha256').update(JSON.stringify(opts)).digest('hex').slice(0, 8)}`;
  let p = building.get(key);
  if (!p) {
    p = (async () => {
      const final = join(WASI_CACHE, 'images', key);
      if (!existsSync(final)) {
        const module = new Uint8Array(readFileSync(await wasiModule(name)));
        mkdirSync(join(WASI_CACHE, 'images'), { recursive: true });
        const dir = mkdtempSync(join(WASI_CACHE, 'images', `.${key}-`));
        newLayout(dir);
        const os = opts.os ?? (form === 'index-only' ? 'wasip1' : 'wasi');
        const extra = (opts.files ?? []).map((f): LayerFile => (f.link !== undefined ? { path: f.path, link: f.link } : { path: f.path, data: new TextEncoder().encode(f.text ?? ''), mode: 0o644 }));
        const wasiTar = () => tarImage(dir, [{ path: `${name}.wasm`, data: module, mode: 0o755 }, ...extra], { os, architecture: 'wasm' }, opts.config ?? { Entrypoint: [`/${name}.wasm`] });
        let top: Descriptor;
        if (form === 'tar') top = await wasiTar();
        else if (form === 'artifact' || form === 'wasm-to-oci') top = rawImage(dir, module, name, form);
        else {
          const wasm = { ...(await wasiTar()), platform: { os, architecture: 'wasm' } };
          const linux = form === 'index'
            ? [{ ...(await tarImage(dir, [{ path: 'etc/hello.txt', data: new TextEncoder().encode('linux\n'), mode: 0o644 }], { os: 'linux', architecture: 'amd64' }, { Cmd: ['/bin/sh'] })), platform: { os: 'linux', architecture: 'amd64' } }]
            : [];
          top = writeJsonBlob(dir, MT.ociIndex, { schemaVersion: 2, mediaType: MT.ociIndex, manifests: [...linux, wasm] });
        }
        setTag(dir, TAG, top);
        try {
          renameSync(dir, final);
        } catch {
          rmSync(dir, { recursive: true, force: true }); // built concurrently elsewhere
        }
      }
      return `oci:${final}:${TAG}`;
    })();
    building.set(key, p);
  }
  return p;
}

/** Builds and pushes an image of program `name` to `reg` as `repo:tag`; returns the reference to pull. */
export async function pushWasiImage(reg: TestRegistry, name: string, form: WasiImageForm, dest: string, opts: WasiImageOptions = {}): Promise<string> {
  await reg.push(await wasiImageLayout(name, form, opts), dest, { all: form.startsWith('index') });
  return `${reg.host}/${dest}`;
}

