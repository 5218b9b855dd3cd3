import { TabdockError } from '../shared/errors.ts';

/**
 * What the docker CLI reads from its `config.json` besides credentials (docker/cli
 * `cli/config/configfile`): the default `--format` of `ps`, `images`, `network ls`,
 * `volume ls` and `stats`, and the default `--detach-keys`. A flag given on the command
 * line wins; `images`, `network ls` and `volume ls` keep `-q` over a configured format, as
 * docker/cli does.
 */
export interface CliConfig {
  psFormat?: string;
  imagesFormat?: string;
  networksFormat?: string;
  volumesFormat?: string;
  statsFormat?: string;
  detachKeys?: string;
}

const KEYS = ['psFormat', 'imagesFormat', 'networksFormat', 'volumesFormat', 'statsFormat', 'detachKeys'] as const;

/** The keys above from a parsed config.json (others, such as `auths`, are not this module's). */
export function cliConfigFrom(json: Record<string, unknown> | undefined, where = 'config.json'): CliConfig {
  const out: CliConfig = {};
  for (const k of KEYS) {
    const v = json?.[k];
    if (v === undefined || v === '') continue;
    if (typeof v !== 'string') throw new TabdockError('CONFIG_INVALID', `${where}: "${k}" must be a string`, { key: k });
    out[k] = v;
  }
  return out;
}
