import { defineConfig } from 'vite';
import { tabdockProxy } from './src/proxy/index.ts';
import { tabdockGuestAssets } from './src/emulator/vite-guest-assets.ts';
import { tabdockPreviewWorker } from './src/engine/browser/vite-preview-sw.ts';

// `npm run dev` serves the page, mounts the CORS proxy at /proxy (configured from the
// environment: TABDOCK_PROXY_ALLOW, TABDOCK_INSECURE_REGISTRIES) and serves the guest
// (kernel images, v86's wasm, the snapshot) at /guest/, the network relay at /wisp/ and the
// port-preview Service Worker at /preview-sw.js; Vite's own --port and
// --strictPort work as usual. `npm run build` writes the same guest files into dist/guest/.
export default defineConfig({
  // Relative URLs: the site works under any path, and the embed build (vite.embed.config.ts)
  // makes the same worker file as the page's.
  base: './',
  plugins: [tabdockProxy(), tabdockGuestAssets(), tabdockPreviewWorker()],
  build: { target: 'es2022', outDir: 'dist' },
  worker: { format: 'es' },
  // Pre-bundled up front: a dependency discovered on first use makes Vite reload the page.
  optimizeDeps: { include: ['comlink', '@mercuryworkshop/wisp-js/client', 'idb', 'v86', 'fzstd', 'hash-wasm', 'modern-tar', 'lit', '@xterm/xterm', '@xterm/addon-fit'] },
});
