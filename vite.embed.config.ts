import { readFileSync } from 'node:fs';
import { defineConfig, type Plugin } from 'vite';

// `npm run build`'s second step: the embeddable element as one script with a stable name,
// dist/tabdock-embed.js, beside the playground the first step wrote (same dist/, so the
// worker, the guest files and the proxy path are the playground's). Its chunks and the
// engine worker go to dist/assets/. Also writes dist/embed.html, the example docs page,
// loading the bundle with the one script tag a docs page uses.
export default defineConfig({
  // Relative URLs (the worker is `new URL('assets/worker-....js', import.meta.url)`), so the
  // bundle works from any directory of a docs site, not only from the site's root.
  base: './',
  build: {
    target: 'es2022',
    outDir: 'dist',
    emptyOutDir: false,
    rollupOptions: {
      input: { 'tabdock-embed': 'src/ui/embed/index.ts' },
      preserveEntrySignatures: 'strict',
      output: { entryFileNames: '[name].js', chunkFileNames: 'assets/[name]-[hash].js', assetFileNames: 'assets/[name]-[hash][extname]' },
    },
  },
  worker: { format: 'es' },
  plugins: [exampleDocsPage()],
});

/** embed.html with its dev-time module script pointed at the built bundle. */
function exampleDocsPage(): Plugin {
  return {
    name: 'tabdock-embed-example',
    apply: 'build',
    generateBundle() {
      const page = readFileSync(new URL('./embed.html', import.meta.url), 'utf8');
      const built = page.replace('src="/src/ui/embed/index.ts"', 'src="./tabdock-embed.js"');
      if (built === page) this.error('embed.html no longer loads /src/ui/embed/index.ts: update vite.embed.config.ts');
      this.emitFile({ type: 'asset', fileName: 'embed.html', source: built });
    },
  };
}
