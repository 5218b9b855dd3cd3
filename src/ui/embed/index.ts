/**
 * The embeddable bundle (dist/tabdock-embed.js): one script tag gives a page
 * `<tabdock-run image="busybox" cmd="echo hello" [interactive] [autorun]>`.
 * Every element on the page shares one engine worker.
 */
export { TabdockRun } from './tabdock-run.ts';
