import { defineConfig } from 'vitest/config';

// Two lanes that run side by side (explicit, so a machine with more cores runs the same way):
// `system` (forks, SYSTEM_FORKS files at a time) holds every file that drives the guest,
// Chromium, a daemon or a deadline; `unit`
// (worker threads, which start faster than forks) holds the DOM-free unit tests beside the
// code and the files that only talk to a loopback registry or relay, or drive a daemon with
// no guest, which are light and have no timing of their own. The unit lane fills the core the emulator leaves idle.
const UNIT_FROM_TEST = [
  'test/import-graph.test.ts',
  'test/support/harness.test.ts',
  'test/registry-auth.test.ts',
  'test/registry-edges.test.ts',
  'test/registry-push.test.ts',
  'test/proxy-pull.test.ts',
  'test/pull-sharing.test.ts',
  'test/hostile-registry.test.ts',
  'test/wisp-link.test.ts',
  // A daemon or the CLI without a guest (a pull, a login, the store's lock, TABDOCK_GUEST=off) and no deadline.
  'test/pull.test.ts',
  'test/login.test.ts',
  'test/store-lock.test.ts',
  'test/daemon-socket.test.ts',
  'test/home-perms.test.ts',
  'test/wasi/engine.test.ts',
  'test/proxy-command.test.ts',
];
/**
 * How many system files run at once: two (each file's guest is one busy core; the CLI,
 * daemon and registry work between its steps leaves the other core idle a good part of the
 * time). `TABDOCK_TEST_SYSTEM_FORKS=1` runs them one at a time.
 */
const SYSTEM_FORKS = Math.max(1, Number(process.env['TABDOCK_TEST_SYSTEM_FORKS'] ?? '2') || 2);
/** Files under src/ that start a daemon and a guest. */
const SYSTEM_FROM_SRC = ['src/cli/sig-proxy.test.ts'];

export default defineConfig({
  test: {
    // src/ui's *.test.ts are the DOM-free shell logic's unit tests (Node); page tests live in test/browser.
    exclude: ['node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    globalSetup: ['test/global-setup.ts'],
    reporters: ['default', './test/summary-reporter.ts'],
    poolOptions: {
      forks: { maxForks: SYSTEM_FORKS, minForks: 1 },
      threads: { maxThreads: 1, minThreads: 1 },
    },
    projects: [
      {
        extends: true,
        test: {
          name: 'system',
          pool: 'forks',
          include: ['test/**/*.test.ts', ...SYSTEM_FROM_SRC],
          exclude: ['node_modules/**', ...UNIT_FROM_TEST],
        },
      },
      {
        extends: true,
        test: {
          name: 'unit',
          pool: 'threads',
          include: ['src/**/*.test.ts', ...UNIT_FROM_TEST],
          exclude: ['node_modules/**', ...SYSTEM_FROM_SRC],
        },
      },
    ],
  },
});
