/**
 * The docker-style flag table and parse result: declared here because both the CLI (which
 * parses) and the engine (which defines `run`'s flags and reads the result) use them.
 */
export interface FlagSpec {
  name: string;
  short?: string;
  type: 'bool' | 'string' | 'list';
  help: string;
  /** Shown in --help as the value's name. */
  value?: string;
}

export interface Parsed {
  flags: Record<string, string | boolean | string[] | undefined>;
  args: string[];
}
