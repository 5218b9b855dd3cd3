import { defineConfig } from 'vite';
import { tabdockProxy } from './src/proxy/index.ts';

// `npm run dev` serves the page and mounts the CORS proxy at /proxy, configured from the
// environment (TABDOCK_PROXY_ALLOW, TABDOCK_INSECURE_REGISTRIES); Vite's own --port and
// --strictPort work as usual.
export default defineConfig({
  plugins: [tabdockProxy()],
  build: { target: 'es2022', outDir: 'dist' },
  worker: { format: 'es' },
});
