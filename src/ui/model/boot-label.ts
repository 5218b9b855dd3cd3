import type { BootStatus } from '../../engine/browser/events.ts';
import { humanSize } from '../../docker-cli/index.ts';
import { describeError } from './describe-error.ts';

export interface BootLabel {
  tone: 'idle' | 'busy' | 'ready' | 'failed';
  text: string;
  /** 0..1 while the guest's files download with a known size. */
  fraction?: number;
}

/** The boot indicator's words for the guest's phase. */
export function bootLabel(s: BootStatus): BootLabel {
  switch (s.phase) {
    case 'idle':
      return { tone: 'idle', text: 'Linux guest not started' };
    case 'downloading': {
      const total = s.total ?? 0;
      const loaded = s.loaded ?? 0;
      return total > 0
        ? { tone: 'busy', text: `Downloading the Linux guest: ${humanSize(loaded)} of ${humanSize(total)}`, fraction: Math.min(1, loaded / total) }
        : { tone: 'busy', text: 'Downloading the Linux guest…' };
    }
    case 'restoring':
      return { tone: 'busy', text: 'Restoring the Linux guest…' };
    case 'booting':
      return { tone: 'busy', text: 'Booting Linux…' };
    case 'ready':
      return { tone: 'ready', text: 'Linux guest ready' };
    case 'failed':
      return { tone: 'failed', text: `The Linux guest failed to start. ${s.error ? describeError(s.error).sentence : ''}`.trim() };
  }
}
