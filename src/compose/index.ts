/**
 * compose/: the pure model of `docker compose`: YAML with lines, interpolation, `.env`,
 * `-f` merge, profiles, checks naming key and line, the resolved project, `config` output.
 * No I/O: files come in as text. Imports only shared/ and `yaml`.
 */
export type { BuildConfig, DependsOn, HealthCheckConfig, NetworkConfig, PortConfig, Project, ServiceConfig, VolumeConfig, VolumeTopConfig } from './model.ts';
export { loadProject, normalizeProjectName, orderServices, type LoadOptions } from './project.ts';
export { parseDotenv } from './dotenv.ts';
export { interpolateString, type Lookup } from './interpolate.ts';
export { renderProject, configHash } from './render.ts';
export { EXIT_BAD_FILE } from './source.ts';
export { containerHealthcheck } from './healthcheck.ts';
export { shellSplit, joinPath, dirName, baseName, normalizePath } from './words.ts';
