import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../docker-cli/index.ts';
import { parsePublish } from './run-flag-values.ts';
import { RUN_FLAGS, parseRunOptions } from './run-flags.ts';
import type { RunOptionsContext } from './run-options.ts';

// Through the CLI's own parser, as `tabdock run` will call it.
const run = (argv: string[], ctx: RunOptionsContext = {}) => parseRunOptions(parseArgs(argv, RUN_FLAGS, { stopAtPositional: true }), ctx);

describe('RUN_FLAGS', () => {
  it('has unique names and shorts, with docker help texts', () => {
    const names = RUN_FLAGS.map((f) => f.name);
    const shorts = RUN_FLAGS.flatMap((f) => (f.short ? [f.short] : []));
    expect(new Set(names).size).toBe(names.length);
    expect(new Set(shorts).size).toBe(shorts.length);
    expect(shorts.sort()).toEqual(['P', 'd', 'e', 'h', 'i', 'l', 'm', 'p', 't', 'u', 'v', 'w']);
    expect(RUN_FLAGS.find((f) => f.name === 'memory')!.help).toBe('Memory limit');
  });
});

describe('parseRunOptions', () => {
  it('defaults', () => {
    expect(run(['alpine'])).toEqual({
      image: 'alpine', cmd: [], detach: false, interactive: false, tty: false, rm: false, env: [], readOnly: false,
      tmpfs: [], volumes: [], capAdd: [], capDrop: [], privileged: false, seccomp: 'default', noNewPrivileges: false,
      labels: {}, pull: 'missing', init: false, network: 'default', networkAliases: [], addHosts: [], dns: [], dnsSearch: [], dnsOptions: [], publish: [], publishAll: false, expose: [], restart: { Name: 'no', MaximumRetryCount: 0 }, ulimits: [],
    });
  });

  it('takes everything after the image as the command, flags included', () => {
    const o = run(['-it', '--rm', '-e', 'A=1', 'alpine', 'sh', '-c', 'echo -n hi']);
    expect(o).toMatchObject({ interactive: true, tty: true, rm: true, env: ['A=1'], image: 'alpine', cmd: ['sh', '-c', 'echo -n hi'] });
  });

  it('-d with --rm is fine (docker >= 1.13)', () => {
    expect(run(['-d', '--rm', 'alpine'])).toMatchObject({ detach: true, rm: true });
  });

  it('reads the common flags', () => {
    const o = run([
      '--name', 'web-1', '-u', 'nobody:nogroup', '-w', '/srv', '-h', 'box', '--read-only', '--entrypoint', '',
      '-m', '32m', '--memory-swap=-1', '--cpus', '0.5', '--pids-limit', '32', '--cap-add', 'net_admin', '--cap-drop', 'ALL',
      '--security-opt', 'no-new-privileges', '--security-opt', 'seccomp=unconfined', '--stop-signal', 'int', '--stop-timeout', '3',
      '-l', 'a=b', '--label', 'flag', '--platform', 'linux/386', '--pull', 'never', '--init', '--network', 'none',
      '--tmpfs', '/run:size=1m', '-v', 'data:/data:ro', '--mount', 'type=tmpfs,target=/tmp', '--ulimit', 'nofile=64:128', 'img',
    ]);
    expect(o).toMatchObject({
      name: 'web-1', user: 'nobody:nogroup', workdir: '/srv', hostname: 'box', readOnly: true, entrypoint: '',
      memory: 32 * 2 ** 20, memorySwap: -1, nanoCpus: 5e8, pidsLimit: 32, capAdd: ['CAP_NET_ADMIN'], capDrop: ['ALL'],
      noNewPrivileges: true, seccomp: 'unconfined', stopSignal: 'SIGINT', stopTimeout: 3, labels: { a: 'b', flag: '' },
      platform: 'linux/386', pull: 'never', init: true, network: 'none',
      tmpfs: [{ target: '/run', data: 'size=1m' }, { target: '/tmp', data: '' }],
      volumes: [{ type: 'volume', source: 'data', target: '/data', readOnly: true }],
      ulimits: [{ name: 'nofile', soft: 64, hard: 128 }],
    });
  });

  it('env files come first, then -e; bare names pass the CLI value', () => {
    const files: Record<string, string> = { 'a.env': 'A=file\nB=file\nHOST_ONLY\n' };
    const ctx: RunOptionsContext = {
      readFile: (p) => {
        if (!(p in files)) throw Object.assign(new Error('nope'), { code: 'ENOENT' });
        return files[p]!;
      },
      lookupEnv: (k) => (k === 'HOST_ONLY' ? 'h' : undefined),
    };
    expect(run(['-e', 'A=flag', '--env-file', 'a.env', 'img'], ctx).env).toEqual(['A=file', 'B=file', 'HOST_ONLY=h', 'A=flag']);
    expect(() => run(['--env-file', 'missing.env', 'img'], ctx)).toThrow('open missing.env: no such file or directory');
  });

  it('--security-opt forms', () => {
    expect(run(['--security-opt', 'seccomp:unconfined', 'img']).seccomp).toBe('unconfined');
    expect(run(['--security-opt', 'seccomp=builtin', 'img']).seccomp).toBe('default');
    expect(run(['--security-opt', 'no-new-privileges=true', 'img']).noNewPrivileges).toBe(true);
    expect(run(['--security-opt', 'no-new-privileges:false', 'img']).noNewPrivileges).toBe(false);
    expect(run(['--security-opt', 'apparmor=unconfined', 'img']).seccomp).toBe('default');
  });

  it('parses -p mappings and the network flags', () => {
    const o = run(['-p', '8080:80', '-P', '--expose', '7000-7001/udp', '--network', 'appnet', '--network-alias', 'www', '--ip', '172.18.0.9',
      '--add-host', 'h:host-gateway', '--add-host', 'db=10.0.0.2', '--dns', '1.1.1.1', '--dns-search', '.example.test', '--dns-option', 'ndots:2', '--mac-address', '02:42:AC:12:00:09', 'img']);
    expect(o).toMatchObject({
      publish: [{ hostPort: '8080', containerPort: '80', protocol: 'tcp' }], publishAll: true, expose: ['7000/udp', '7001/udp'], network: 'appnet',
      networkAliases: ['www'], ip: '172.18.0.9', addHosts: [{ name: 'h', ip: 'host-gateway' }, { name: 'db', ip: '10.0.0.2' }], dns: ['1.1.1.1'],
      dnsSearch: ['example.test'], dnsOptions: ['ndots:2'], macAddress: '02:42:ac:12:00:09',
    });
    expect(() => run(['--add-host', 'nohost', 'img'])).toThrow('bad format for add-host: "nohost"');
    expect(() => run(['--add-host', 'h:notanip', 'img'])).toThrow('invalid IP address in add-host: "notanip"');
    expect(() => run(['--ip', '300.1.1.1', 'img'])).toThrow('invalid string being converted to IP address: 300.1.1.1');
    expect(() => run(['--dns', 'x', 'img'])).toThrow('IP address is not correctly formatted: x');
    expect(() => run(['--expose', '80-70', 'img'])).toThrow('invalid range format for --expose: 80-70');
    expect(() => run(['--mac-address', '03:00:00:00:00:01', 'img'])).toThrow('multicast');
    expect(['8080:80', '127.0.0.1:53:53/udp', '9000'].flatMap(parsePublish)).toEqual([
      { hostPort: '8080', containerPort: '80', protocol: 'tcp' },
      { hostIp: '127.0.0.1', hostPort: '53', containerPort: '53', protocol: 'udp' },
      { containerPort: '9000', protocol: 'tcp' },
    ]);
  });

  const cases: [string, string[], string, string][] = [
    ['bad memory', ['-m', '12x'], `invalid argument "12x" for "-m, --memory" flag: invalid size: '12x'`, 'FLAG_ERROR'],
    ['bad swap', ['--memory-swap', 'lots'], `invalid argument "lots" for "--memory-swap" flag: invalid size: 'lots'`, 'FLAG_ERROR'],
    ['tiny memory', ['-m', '4m'], 'Minimum memory limit allowed is 6MB', 'INVALID_CONFIG'],
    ['swap without memory', ['--memory-swap', '64m'], 'You should always set the Memory limit when using Memoryswap limit, see usage', 'INVALID_CONFIG'],
    ['swap below memory', ['-m', '64m', '--memory-swap', '32m'], 'Minimum memoryswap limit should be larger than memory limit, see usage', 'INVALID_CONFIG'],
    ['cpus not a number', ['--cpus', 'x'], 'invalid argument "x" for "--cpus" flag: failed to parse x as a rational number', 'FLAG_ERROR'],
    ['cpus above the guest', ['--cpus', '2'], 'Range of CPUs is from 0.01 to 1.00, as there are only 1 CPUs available', 'INVALID_CONFIG'],
    ['cpus below 0.01', ['--cpus', '0.001'], 'Range of CPUs is from 0.01 to 1.00', 'INVALID_CONFIG'],
    ['pids-limit', ['--pids-limit', 'ten'], 'invalid argument "ten" for "--pids-limit" flag: strconv.ParseInt: parsing "ten": invalid syntax', 'FLAG_ERROR'],
    ['name', ['--name', 'x y'], 'Invalid container name (x y), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed', 'INVALID_NAME'],
    ['one-letter name', ['--name', 'a'], 'Invalid container name (a)', 'INVALID_NAME'],
    ['relative workdir', ['-w', 'srv'], "the working directory 'srv' is invalid, it needs to be an absolute path", 'INVALID_CONFIG'],
    ['unknown cap', ['--cap-add', 'nope'], 'invalid CapAdd: unknown capability: "CAP_NOPE"', 'INVALID_CAPABILITY'],
    ['unknown cap drop', ['--cap-drop', 'nope'], 'invalid CapDrop: unknown capability: "CAP_NOPE"', 'INVALID_CAPABILITY'],
    ['stop signal', ['--stop-signal', 'SIGNOPE'], 'Invalid signal: SIGNOPE', 'INVALID_SIGNAL'],
    ['pull', ['--pull', 'sometimes'], `invalid pull option: 'sometimes': must be one of "always", "missing" or "never"`, 'FLAG_ERROR'],
    ['network container: without a name', ['--network', 'container:'], 'invalid container format container:<name|id>', 'FLAG_ERROR'],
    ['restart name', ['--restart', 'sometimes'], "invalid restart policy 'sometimes'", 'INVALID_CONFIG'],
    ['restart format', ['--restart', 'on-failure:1:2'], 'invalid restart policy format', 'FLAG_ERROR'],
    ['restart count', ['--restart', 'on-failure:x'], 'maximum retry count must be an integer', 'FLAG_ERROR'],
    ['restart count with always', ['--restart', 'always:3'], "maximum retry count cannot be used with restart policy 'always'", 'INVALID_CONFIG'],
    ['restart count negative', ['--restart', 'on-failure:-1'], 'maximum retry count cannot be negative', 'INVALID_CONFIG'],
    ['restart with --rm', ['--rm', '--restart', 'always'], 'Conflicting options: --restart and --rm', 'FLAG_ERROR'],
    ['security-opt', ['--security-opt', 'bogus'], 'invalid --security-opt: "bogus"', 'INVALID_CONFIG'],
    ['seccomp profile file', ['--security-opt', 'seccomp=/p.json'], 'custom seccomp profiles are not supported yet', 'UNSUPPORTED'],
    ['duplicate mount point', ['-v', 'aa:/d', '--tmpfs', '/d'], 'Duplicate mount point: /d', 'INVALID_MOUNT'],
    ['label without a name', ['-l', '=x'], `invalid argument "=x" for "-l, --label" flag: invalid label '=x': empty name`, 'FLAG_ERROR'],
    ['ulimit type', ['--ulimit', 'bogus=1'], 'invalid ulimit type: bogus', 'FLAG_ERROR'],
    ['ulimit order', ['--ulimit', 'nofile=10:5'], 'ulimit soft limit must be less than or equal to hard limit: 10 > 5', 'FLAG_ERROR'],
    ['publish', ['-p', 'http'], 'invalid containerPort: http', 'FLAG_ERROR'],
    ['storage-opt key', ['--storage-opt', 'dm.basesize=1g'], 'storage option "dm.basesize" is not supported: tabdock takes only --storage-opt size=<size>', 'UNSUPPORTED'],
    ['storage-opt form', ['--storage-opt', 'size'], 'invalid storage option: size', 'FLAG_ERROR'],
    ['storage-opt size', ['--storage-opt', 'size=lots'], `invalid argument "lots" for "--storage-opt" flag: invalid size: 'lots'`, 'FLAG_ERROR'],
  ];
  it.each(cases)('%s', (_, argv, message, code) => {
    expect(() => run([...argv, 'img'])).toThrow(expect.objectContaining({ code, message: expect.stringContaining(message), exitCode: 125 }));
  });

  it('needs an image', () => {
    expect(() => parseRunOptions({ flags: {}, args: [] })).toThrow('"run" requires at least 1 argument.');
  });

  it('--storage-opt size: the writable layer cap, in go-units sizes, kept as given for inspect', () => {
    expect(run(['--storage-opt', 'size=1.5G', 'img'])).toMatchObject({ storageOpt: { size: '1.5G' }, storageSize: 1.5 * 2 ** 30 });
  });

  it('takes the cpu count from the context', () => {
    expect(run(['--cpus', '2', 'img'], { cpuCount: 4 }).nanoCpus).toBe(2e9);
  });
});
