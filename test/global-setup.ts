// Fails fast, with the fix, when the machine lacks a program the tests drive for real.
import { execFileSync } from 'node:child_process';

const NEEDED: [string, string][] = [
  ['docker-registry', 'docker-registry'],
  ['skopeo', 'skopeo'],
  ['umoci', 'umoci'],
  ['openssl', 'openssl'],
  ['chromium', 'chromium'],
  ['tmux', 'tmux'],
];

export default function setup(): void {
  const missing = NEEDED.filter(([bin]) => {
    try {
      execFileSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length) {
    throw new Error(`the tests need ${missing.map(([, pkg]) => pkg).join(', ')}: run 'bash .ci/run' once (it installs them with apt-get), or apt-get install them`);
  }
}
