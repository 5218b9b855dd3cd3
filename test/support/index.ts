// The test harness: real registries, real image fixtures, failure injection. See test/README.md.
export * from './registry.ts';
export * from './fixtures.ts';
export * from './token-server.ts';
export * from './cdn.ts';
export * from './fault-proxy.ts';
export * from './cli.ts';
export * from './browser.ts';
