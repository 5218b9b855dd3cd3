import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadEmulatorFile, DEFAULT_ARTIFACT_DIR } from '../../emulator/node.ts';
import { parseSums, verifyEmulator } from '../../emulator/emulator-files.ts';
import { EMULATOR_FILES } from '../../emulator/vite-guest-assets.ts';
import { BACKENDS, type StoreKit } from '../../fs-layers/test-helpers.ts';
import { readTreeFile } from '../containers/container-files.ts';
import { TabdockError } from '../../shared/errors.ts';
import { EmulatorTrees, type EmulatorSource } from './emulator-trees.ts';
import { EMULATORS, binfmtRule, emulatorFor, emulatedPlatforms } from './emulators.ts';
import { parsePlatform } from '../../registry-client/index.ts';

const X86_64 = EMULATORS.find((e) => e.name === 'qemu-x86_64')!;

/** The package's real emulator files, counting how often they are read. */
function countingSource(): EmulatorSource & { loads: number } {
  const s = { loads: 0, load: async (e: typeof X86_64) => (s.loads++, loadEmulatorFile(e.file)) };
  return s;
}

describe('the committed emulators', () => {
  it('are the ELF i386 binaries kernel/SHA256SUMS names, and inflate', async () => {
    const sums = parseSums(readFileSync(join(DEFAULT_ARTIFACT_DIR, '..', 'SHA256SUMS'), 'utf8'));
    for (const e of EMULATORS) {
      const zst = readFileSync(join(DEFAULT_ARTIFACT_DIR, e.file));
      expect(createHash('sha256').update(zst).digest('hex')).toBe(sums.get(e.file));
      const bin = await loadEmulatorFile(e.file);
      // ELF, 32-bit, e_machine 3 (i386): what the guest runs natively.
      expect([...bin.subarray(0, 5)]).toEqual([0x7f, 0x45, 0x4c, 0x46, 1]);
      expect(bin[18]).toBe(3);
    }
  });

  it('are the files the guest assets serve (the emulator folder names them apart, below the engine)', () => {
    expect(EMULATOR_FILES).toEqual(EMULATORS.map((e) => e.file));
  });

  it('are refused when their bytes do not match the recorded sum', async () => {
    const zst = new Uint8Array(readFileSync(join(DEFAULT_ARTIFACT_DIR, X86_64.file)));
    zst[zst.length >> 1] = (zst[zst.length >> 1] ?? 0) ^ 1;
    const err = await verifyEmulator(X86_64.file, zst, parseSums(readFileSync(join(DEFAULT_ARTIFACT_DIR, '..', 'SHA256SUMS'), 'utf8')).get(X86_64.file)).catch((e: unknown) => e);
    expect(TabdockError.is(err, 'DIGEST_MISMATCH')).toBe(true);
    const none = await verifyEmulator(X86_64.file, zst, undefined).catch((e: unknown) => e);
    expect(TabdockError.is(none, 'EMULATOR_ASSETS_UNREACHABLE')).toBe(true);
  });
});

describe('emulated platforms', () => {
  it('map each platform to its emulator and order the fallbacks amd64 first', () => {
    expect(emulatorFor(parsePlatform('linux/x86_64'))?.name).toBe('qemu-x86_64');
    expect(emulatorFor(parsePlatform('linux/arm64/v8'))?.name).toBe('qemu-aarch64');
    expect(emulatorFor(parsePlatform('linux/arm/v7'))?.name).toBe('qemu-arm');
    expect(emulatorFor(parsePlatform('linux/arm/v6'))?.name).toBe('qemu-arm');
    expect(emulatorFor(parsePlatform('linux/386'))).toBeUndefined();
    expect(emulatorFor(parsePlatform('linux/s390x'))).toBeUndefined();
    expect(emulatedPlatforms([{ platforms: ['linux/386', 'linux/arm64', 'linux/amd64'] }]).map((p) => p.architecture)).toEqual(['amd64', 'arm64']);
    expect(binfmtRule(X86_64, '/e/qemu-x86_64')).toBe(`:qemu-x86_64:M::${X86_64.magic}:${X86_64.mask}:/e/qemu-x86_64:POCF`);
  });
});

describe.each(Object.keys(BACKENDS))('emulator trees on %s', (backend) => {
  let kit: StoreKit;
  afterEach(() => kit?.cleanup());

  it('load an emulator once, keep it in the store across a reopen, and serve it as /<name>, mode 0755', async () => {
    kit = await BACKENDS[backend]!();
    const source = countingSource();
    const tree = await new EmulatorTrees({ layers: kit.layers, meta: kit.meta, source }).tree(X86_64);
    const bin = await loadEmulatorFile(X86_64.file);
    // compared as digests: a deep equality of 9 MB byte arrays takes the matcher minutes
    const sha = (b: Uint8Array | undefined) => b && createHash('sha256').update(b).digest('hex');
    expect(sha(await readTreeFile(tree, '/qemu-x86_64'))).toBe(sha(bin));
    expect(tree.root.children!.get('qemu-x86_64')!.mode & 0o7777).toBe(0o755);
    expect(source.loads).toBe(1);
    // A reload (page) or a daemon restart: the store has it, nothing is read again.
    const again = await kit.reopen();
    const tree2 = await new EmulatorTrees({ layers: again.layers, meta: again.meta, source }).tree(X86_64);
    expect(sha(await readTreeFile(tree2, '/qemu-x86_64'))).toBe(sha(bin));
    expect(source.loads).toBe(1);
    // gc keeps it: the store holds a reference of its own.
    await again.layers.gc();
    expect(await readTreeFile(tree2, '/qemu-x86_64')).toBeDefined();
  }, 60_000);

  it('store nothing when the source fails, and fail with 125 without one', async () => {
    kit = await BACKENDS[backend]!();
    const failing: EmulatorSource = { load: () => Promise.reject(new TabdockError('DIGEST_MISMATCH', 'bad bytes', {})) };
    await expect(new EmulatorTrees({ layers: kit.layers, meta: kit.meta, source: failing }).tree(X86_64)).rejects.toThrow('bad bytes');
    expect(await kit.meta.keys('emulator/')).toEqual([]);
    const none = await new EmulatorTrees({ layers: kit.layers, meta: kit.meta }).tree(X86_64).catch((e: unknown) => e);
    expect(TabdockError.is(none, 'UNSUPPORTED_PLATFORM') && none.exitCode).toBe(125);
  });
});
