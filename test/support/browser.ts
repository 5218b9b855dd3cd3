// Real Chromium (Debian's package) driven by playwright-core, and the real Vite dev server
// with the CORS proxy mounted, for tests of what a person sees.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
// Types only here: the modules load when a test first asks for a browser or a dev server, so
// the many test files that import this harness for a registry do not load them (seconds each).
import type { Browser } from 'playwright-core';
import type { ViteDevServer } from 'vite';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const ARTIFACTS = join(ROOT, 'test', 'artifacts');

export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/**
 * `npm run dev` in process: the page plus the proxy, configured by the given environment.
 * `crossOriginIsolated` serves everything with COOP/COEP, so pages and their workers may
 * share memory (SharedArrayBuffer), as a host that sends those headers allows.
 */
export async function startDevServer(env: Record<string, string>, opts: { crossOriginIsolated?: boolean } = {}): Promise<{ url: string; server: ViteDevServer }> {
  Object.assign(process.env, env);
  const headers = opts.crossOriginIsolated ? { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' } : {};
  const { createServer } = await import('vite');
  const server = await createServer({ root: ROOT, configFile: join(ROOT, 'vite.config.ts'), logLevel: 'warn', server: { port: 0, host: '127.0.0.1', hmr: false, watch: null, headers } });
  await server.listen();
  const addr = server.httpServer!.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return { url: `http://127.0.0.1:${port}/`, server };
}

export function artifactPath(name: string): string {
  mkdirSync(ARTIFACTS, { recursive: true });
  return join(ARTIFACTS, name);
}
