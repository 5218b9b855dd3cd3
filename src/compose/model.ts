/** The resolved compose model: the Compose spec's keys, in their long forms (what `config` prints). */
export interface PortConfig {
  target: number;
  published?: string;
  host_ip?: string;
  protocol: 'tcp' | 'udp';
  mode: 'ingress';
}

export interface VolumeConfig {
  type: 'volume';
  /** A top-level volume's key; absent: an anonymous volume. */
  source?: string;
  target: string;
  read_only?: boolean;
}

export interface DependsOn {
  condition: 'service_started' | 'service_healthy' | 'service_completed_successfully';
  required: boolean;
}

/** `healthcheck`: test in long form (a string is `CMD-SHELL`), durations as Go prints them. */
export interface HealthCheckConfig {
  test?: string[];
  interval?: string;
  timeout?: string;
  start_period?: string;
  start_interval?: string;
  retries?: number;
  disable?: boolean;
}

export interface BuildConfig {
  context: string;
  dockerfile?: string;
  args?: Record<string, string>;
  target?: string;
}

export interface ServiceConfig {
  image?: string;
  build?: BuildConfig;
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string | null>;
  env_file?: string[];
  ports?: PortConfig[];
  expose?: string[];
  volumes?: VolumeConfig[];
  networks?: Record<string, { aliases?: string[] } | null>;
  depends_on?: Record<string, DependsOn>;
  healthcheck?: HealthCheckConfig;
  restart?: string;
  working_dir?: string;
  user?: string;
  hostname?: string;
  container_name?: string;
  labels?: Record<string, string>;
  init?: boolean;
  tty?: boolean;
  stdin_open?: boolean;
  profiles?: string[];
  deploy?: { replicas?: number; resources?: { limits?: { memory?: string; cpus?: string; pids?: number } } };
}

export interface NetworkConfig {
  name: string;
  external?: boolean;
  driver?: 'bridge';
  labels?: Record<string, string>;
}

export interface VolumeTopConfig {
  name: string;
  external?: boolean;
  driver?: 'local';
  labels?: Record<string, string>;
}

export interface Project {
  name: string;
  /** The project directory (the first file's folder) and the files read, as given. */
  workingDir: string;
  configFiles: string[];
  services: Record<string, ServiceConfig>;
  networks: Record<string, NetworkConfig>;
  volumes: Record<string, VolumeTopConfig>;
  /** Services left out by their profiles (depends_on to them is an error). */
  disabled: string[];
  /** Things compose warns about (an obsolete `version`). */
  warnings: string[];
}
