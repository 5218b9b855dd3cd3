import { expect, it } from 'vitest';
import { bootLabel } from './boot-label.ts';

it('words every phase', () => {
  expect(bootLabel({ phase: 'idle' }).tone).toBe('idle');
  expect(bootLabel({ phase: 'downloading', loaded: 5_000_000, total: 20_000_000 })).toEqual({ tone: 'busy', text: 'Downloading the Linux guest: 5MB of 20MB', fraction: 0.25 });
  expect(bootLabel({ phase: 'downloading', loaded: 0, total: 0 }).fraction).toBeUndefined();
  expect(bootLabel({ phase: 'restoring' }).text).toBe('Restoring the Linux guest…');
  expect(bootLabel({ phase: 'ready' })).toEqual({ tone: 'ready', text: 'Linux guest ready' });
  expect(bootLabel({ phase: 'failed', error: { name: 'TabdockError', code: 'EMULATOR_STALE_SNAPSHOT', message: 'the snapshot does not fit', data: {}, retryable: false } }).text)
    .toBe('The Linux guest failed to start. The snapshot does not fit.');
});
