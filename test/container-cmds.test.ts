// Docker's container commands beyond run/ps/logs basics, end to end against the real
// guest: logs --since/--until, top, rename, pause/unpause, update, events. One daemon
// (and one guest) for the whole file.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, busyboxCli, type CliHome, type TestRegistry } from './support/index.ts';

let reg: TestRegistry;
let cli: CliHome;
let IMG: string;

beforeAll(async () => {
  ({ reg, cli, image: IMG } = await busyboxCli());
}, 300_000);
afterAll(async () => {
  cli?.dispose();
  await reg?.stop();
});

async function until<T>(what: string, get: () => Promise<T>, done: (v: T) => boolean): Promise<T> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const v = await get();
    if (done(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: last ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** An RFC 3339 time with nanoseconds as the API's SECONDS.NANOS. */
const apiTime = (t: string) => {
  const [, whole, frac] = /^(.*?)\.(\d{9})Z$/.exec(t)!;
  return `${Date.parse(`${whole}Z`) / 1000}.${frac}`;
};

describe('logs --since/--until', () => {
  it('shows the lines in the window, for RFC 3339, Unix and relative times; refuses what is no time', async () => {
    const d = await cli.run('run', '-d', '--name', 'lg', IMG, 'sh', '-c', 'echo one; while [ ! -e /go ]; do usleep 20000; done; echo two; exec sleep 300');
    expect(d.code, d.stderr).toBe(0);
    await until('line one', () => cli.run('logs', 'lg'), (r) => r.stdout === 'one\n');
    expect((await cli.run('exec', 'lg', 'sh', '-c', ': > /go')).code).toBe(0);
    const stamped = await until('line two', () => cli.run('logs', '-t', 'lg'), (r) => r.stdout.endsWith(' two\n'));
    const [t1, t2] = stamped.stdout.trimEnd().split('\n').map((l) => l.split(' ')[0]!);
    expect(t2! > t1!).toBe(true);
    expect((await cli.run('logs', '--since', t2!, 'lg')).stdout).toBe('two\n');
    expect((await cli.run('logs', '--until', t1!, 'lg')).stdout).toBe('one\n');
    expect((await cli.run('logs', '--since', apiTime(t2!), 'lg')).stdout).toBe('two\n');
    expect((await cli.run('logs', '--since', t1!, '--until', t1!, '-t', 'lg')).stdout).toBe(`${t1} one\n`);
    expect((await cli.run('logs', '--since', '10m', 'lg')).stdout).toBe('one\ntwo\n');
    expect((await cli.run('logs', '--until', '10m', 'lg')).stdout).toBe('');
    // An --until in the past ends -f at once, though the container runs on.
    expect(await cli.run('logs', '-f', '--until', t2!, 'lg')).toEqual({ code: 0, stdout: 'one\ntwo\n', stderr: '' });
    // The docker client's own error, exit 1.
    expect(await cli.run('logs', '--since', 'yesterday', 'lg')).toEqual({ code: 1, stdout: '', stderr: 'invalid value for "since": failed to parse value as time or duration: "yesterday"\n' });
    expect((await cli.run('rm', '-f', 'lg')).code).toBe(0);
  }, 240_000);
});

const state = async (name: string) => JSON.parse((await cli.run('inspect', name)).stdout)[0] as { Id: string; Name: string; State: { Status: string; Paused: boolean; Running: boolean }; HostConfig: Record<string, unknown> };

describe('top, rename, pause/unpause, update on a running container', () => {
  it('top lists its processes as ps -ef does; rename keeps it running under the new name', async () => {
    const d = await cli.run('run', '-d', '--name', 'tp', IMG, 'sh', '-c', 'sleep 1000 & wait');
    expect(d.code, d.stderr).toBe(0);
    const t = await until('two processes', () => cli.run('top', 'tp'), (r) => r.stdout.split('\n').length === 4);
    const [head, sh, sleep] = t.stdout.split('\n');
    // docker's tabwriter for top: minwidth 20, padding 3.
    expect(head).toBe(['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME'].map((c) => c.padEnd(20)).join('') + 'CMD');
    const row = (cmd: string) => new RegExp(`^root {16}(\\d+) +(\\d+) +\\d+ +\\d\\d:\\d\\d +\\? +00:00:\\d\\d +${cmd}$`);
    expect(sh).toMatch(row('sh -c sleep 1000 & wait'));
    expect(sleep).toMatch(row('sleep 1000'));
    // The sleep is the shell's child, by the guest's PIDs (as Docker shows the host's).
    expect(row('sleep 1000').exec(sleep!)![2]).toBe(row('sh -c sleep 1000 & wait').exec(sh!)![1]);
    expect(t.code).toBe(0);
    expect((await cli.run('top', 'tp', '-ef')).stdout.split('\n')[0]).toBe(head);
    // procps' other formats, from the guest's /proc: BSD `aux`, `-o` lists.
    const aux = await cli.run('top', 'tp', 'aux');
    expect(aux.code, aux.stderr).toBe(0);
    const auxLines = aux.stdout.trimEnd().split('\n');
    expect(auxLines[0]).toBe(['USER', 'PID', '%CPU', '%MEM', 'VSZ', 'RSS', 'TTY', 'STAT', 'START', 'TIME'].map((c) => c.padEnd(20)).join('') + 'COMMAND');
    expect(auxLines[1]).toMatch(/^root +\d+ +\d+\.\d +\d+\.\d +[1-9]\d* +[1-9]\d* +\? +Ss +\d\d:\d\d +00:00:\d\d +sh -c sleep 1000 & wait$/);
    expect(auxLines[2]).toMatch(/^root +\d+ +\d+\.\d +\d+\.\d +[1-9]\d* +[1-9]\d* +\? +S +\d\d:\d\d +00:00:\d\d +sleep 1000$/);
    const o = await cli.run('top', 'tp', '-o', 'pid,ppid,comm');
    expect(o.code, o.stderr).toBe(0);
    const [, shRow, sleepRow] = o.stdout.trimEnd().split('\n').map((l) => l.trim().split(/ +/));
    expect([shRow![2], sleepRow![2], sleepRow![1]]).toEqual(['sh', 'sleep', shRow![0]]);
    // What procps has and tabdock cannot print: refused with a sentence, exit 1 as docker's failed ps.
    expect(await cli.run('top', 'tp', '-o', 'pid,wchan')).toEqual({ code: 1, stdout: '', stderr: 'Error response from daemon: ps: error: unknown user-defined format specifier "wchan"\n' });
    const forest = await cli.run('top', 'tp', 'auxf');
    expect(forest.code).toBe(1);
    expect(forest.stderr).toContain('ps: f (a process forest) is not available here');

    expect(await cli.run('rename', 'tp', 'tp2')).toEqual({ code: 0, stdout: '', stderr: '' });
    expect((await state('tp2')).Name).toBe('/tp2');
    expect((await cli.run('top', 'tp2')).code).toBe(0);
    expect(await cli.run('rename', 'tp2', 'tp2')).toEqual({ code: 1, stdout: '', stderr: 'Error response from daemon: Renaming a container with the same name as its current name\nError: failed to rename container named tp2\n' });
    expect((await cli.run('rename', 'tp2', 'bad!')).stderr).toBe('Error response from daemon: Error when allocating new name: Invalid container name (/bad!), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed\nError: failed to rename container named tp2\n');
    expect((await cli.run('create', '--name', 'other', IMG, 'true')).code).toBe(0);
    const taken = await cli.run('rename', 'tp2', 'other');
    expect(taken.code).toBe(1);
    expect(taken.stderr).toMatch(/^Error response from daemon: Error when allocating new name: Conflict\. The container name "\/other" is already in use by container "[0-9a-f]{64}"\./);
    expect((await cli.run('rename', 'nothere', 'x')).stderr).toBe('Error response from daemon: No such container: nothere\nError: failed to rename container named nothere\n');
    expect((await cli.run('rm', '-f', 'tp2', 'other')).code).toBe(0);
    const stopped = await cli.run('top', 'other');
    expect(stopped.code).toBe(1);
  }, 240_000);

  it('pause freezes every process until unpause; exec is refused meanwhile; ps and inspect say paused; stop still ends it', async () => {
    const d = await cli.run('run', '-d', '--name', 'pz', IMG, 'sh', '-c', 'while true; do echo tick; usleep 100000; done');
    expect(d.code, d.stderr).toBe(0);
    const id = d.stdout.trim();
    await until('ticks', () => cli.run('logs', 'pz'), (r) => r.stdout.length > 0);
    expect(await cli.run('pause', 'pz')).toEqual({ code: 0, stdout: 'pz\n', stderr: '' });
    const s = await state('pz');
    expect(s.State).toMatchObject({ Status: 'paused', Paused: true, Running: true });
    expect((await cli.run('ps')).stdout).toMatch(/Up .+ \(Paused\)\s+pz\n/);
    expect((await cli.run('ps', '-q', '--filter', 'status=paused')).stdout).toBe(`${id.slice(0, 12)}\n`);
    expect(await cli.run('pause', 'pz')).toEqual({ code: 1, stdout: '', stderr: `Error response from daemon: Container ${id} is already paused\n` });
    const ex = await cli.run('exec', 'pz', 'true');
    expect(ex.code).not.toBe(0);
    expect(ex.stderr).toBe(`Error response from daemon: Container ${id} is paused, unpause the container before exec\n`);
    // Frozen: no tick comes while these commands run (each takes the CLI a second or more).
    const n1 = (await cli.run('logs', 'pz')).stdout.length;
    expect((await cli.run('top', 'pz')).stdout).toContain('while true');
    await cli.run('inspect', 'pz');
    expect((await cli.run('logs', 'pz')).stdout.length).toBe(n1);
    expect(await cli.run('rm', 'pz')).toEqual({ code: 1, stdout: '', stderr: 'Error response from daemon: cannot remove container "/pz": container is paused and must be unpaused first\n' });
    expect(await cli.run('unpause', 'pz')).toEqual({ code: 0, stdout: 'pz\n', stderr: '' });
    expect((await state('pz')).State).toMatchObject({ Status: 'running', Paused: false });
    await until('ticks again', () => cli.run('logs', 'pz'), (r) => r.stdout.length > n1);
    expect(await cli.run('unpause', 'pz')).toEqual({ code: 1, stdout: '', stderr: `Error response from daemon: Container ${id} is not paused\n` });
    expect((await cli.run('pause', 'pz')).code).toBe(0);
    expect(await cli.run('stop', '-t', '1', 'pz')).toEqual({ code: 0, stdout: 'pz\n', stderr: '' });
    expect((await state('pz')).State).toMatchObject({ Status: 'exited', Paused: false, Running: false });
    expect(await cli.run('pause', 'pz')).toEqual({ code: 1, stdout: '', stderr: `Error response from daemon: Container ${id} is not running\n` });
    expect((await cli.run('rm', 'pz')).code).toBe(0);
  }, 240_000);

  it('update changes the limits of a running container in its cgroup and in inspect, and its restart policy', async () => {
    const d = await cli.run('run', '-d', '--name', 'up', '-m', '32m', IMG, 'sleep', '1000');
    expect(d.code, d.stderr).toBe(0);
    const id = d.stdout.trim();
    const cg = async () => (await cli.run('exec', 'up', 'cat', '/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/cpu.max', '/sys/fs/cgroup/pids.max')).stdout;
    expect(await until('the container', cg, (s) => s !== '')).toBe(`${32 << 20}\nmax 100000\n1024\n`);
    expect(await cli.run('update', '-m', '48m', '--memory-swap', '96m', '--cpus', '0.5', '--pids-limit', '50', '--restart', 'on-failure:3', 'up')).toEqual({ code: 0, stdout: 'up\n', stderr: '' });
    expect(await cg()).toBe(`${48 << 20}\n50000 100000\n50\n`);
    expect((await state('up')).HostConfig).toMatchObject({ Memory: 48 << 20, MemorySwap: 96 << 20, NanoCpus: 5e8, PidsLimit: 50, RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 } });
    // moby's conflict: more memory than the memory+swap already set, the swap not given.
    const over = await cli.run('update', '-m', '200m', 'up');
    expect(over).toEqual({ code: 1, stdout: '', stderr: `Error response from daemon: Cannot update container ${id}: Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time\n` });
    expect((await cli.run('update', '--pids-limit', '-1', 'up')).code).toBe(0);
    expect((await cg()).split('\n')[2]).toBe('max');
    expect(await cli.run('update', 'up')).toEqual({ code: 1, stdout: '', stderr: 'You must provide one or more flags when using this command.\n' });
    expect((await cli.run('update', '-m', '4m', 'up')).stderr).toBe('Error response from daemon: Minimum memory limit allowed is 6MB\n');
    expect((await cli.run('update', '--blkio-weight', '10', 'up')).code).toBe(125);
    expect((await cli.run('rm', '-f', 'up')).code).toBe(0);
  }, 240_000);
});

describe('attach', () => {
  it("streams a running container's output from now on and ends with its exit code; refuses a stopped one", async () => {
    const d = await cli.run('run', '-d', '--name', 'at', IMG, 'sh', '-c', 'while [ ! -e /go ]; do echo tick; usleep 200000; done; echo bye >&2; exit 3');
    expect(d.code, d.stderr).toBe(0);
    const child = spawn(BIN, ['attach', '--no-stdin', 'at'], { env: { ...process.env, ...cli.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const code = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    try {
      await until('attached output', async () => out, (s) => s.includes('tick\n'));
      expect((await cli.run('exec', 'at', 'sh', '-c', ': > /go')).code).toBe(0);
      expect(await code).toBe(3);
      expect(out).toMatch(/^(tick\n)+$/);
      expect(err).toBe('bye\n');
    } finally {
      child.kill();
    }
    expect(await cli.run('attach', 'at')).toEqual({ code: 1, stdout: '', stderr: 'You cannot attach to a stopped container, start it first\n' });
    expect((await cli.run('rm', 'at')).code).toBe(0);
  }, 180_000);

  it('detach keys typed in a terminal leave the container running: run -it exits 0, attach and exec -it say "read escape sequence" (1); config.json detachKeys is the default; detach and exec_detach events', async () => {
    /** The CLI in a real terminal (`script` gives it a pty); `type` writes to that terminal's input. */
    const inPty = (args: string) => {
      const child = spawn('script', ['-qfec', `${BIN} ${args}`, '/dev/null'], { env: { ...process.env, ...cli.env }, stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (b: Buffer) => (out += b.toString()));
      const code = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
      return { out: () => out, code, type: (s: string) => child.stdin.write(s), kill: () => child.kill() };
    };
    /**
     * Types a command until the shell answers it, then waits for the shell's prompt with no
     * input left: every byte typed so far has been read, so the next key is a read of its own.
     */
    const shellAnswers = async (t: ReturnType<typeof inPty>, word: string) => {
      const answered = () => t.out().includes(`\n${word}\r`); // the echo of the command line has the quotes
      await until(`the shell's answer ${word}, then its prompt`, async () => {
        if (!answered()) t.type(`echo ${word.slice(0, 2)}""${word.slice(2)}\r`);
        return t.out();
      }, (o) => answered() && /\/ # (\x1b\[6n)?$/.test(o));
    };
    const t0 = new Date().toISOString();
    const run = inPty(`run -it --detach-keys ctrl-x --name dk ${IMG} sh`);
    try {
      await shellAnswers(run, 'first');
      run.type('\x18');
      expect(await run.code).toBe(0);
    } finally {
      run.kill();
    }
    expect((await state('dk')).State.Running).toBe(true);

    // One key each: two keys written at once reach the CLI as one read, which never detaches
    // (pasted text); the sequences of several keys are held to moby's proxy in stdin.test.ts.
    // config.json's detachKeys is the default (docker/cli's ConfigFile().DetachKeys); a flag wins over it.
    writeFileSync(join(cli.home, 'config.json'), JSON.stringify({ detachKeys: 'ctrl-y' }));
    const att = inPty('attach --detach-keys=ctrl-k dk');
    try {
      await shellAnswers(att, 'again');
      att.type('\x0b');
      expect(await att.code).toBe(1);
      expect(att.out()).toContain('read escape sequence');
    } finally {
      att.kill();
    }
    const ex = inPty('exec -it dk sh');
    try {
      await shellAnswers(ex, 'inside');
      ex.type('\x19');
      expect(await ex.code).toBe(1);
      expect(ex.out()).toContain('read escape sequence');
    } finally {
      ex.kill();
    }
    expect((await state('dk')).State.Running).toBe(true);
    // moby's events for a client that detached: detach (run -it, attach), exec_detach with its execID.
    const evs = await cli.run('events', '--since', t0, '--until', new Date().toISOString(), '--filter', 'container=dk', '--filter', 'event=detach', '--filter', 'event=exec_detach', '--format', '{{.Action}} {{if .Actor.Attributes.execID}}exec{{end}}');
    expect(evs.stdout).toBe('detach \ndetach \nexec_detach exec\n');
    expect((await state('dk')).State.Running).toBe(true);
    expect(await cli.run('attach', '--detach-keys', 'ctrl-1', 'dk')).toEqual({ code: 1, stdout: '', stderr: 'Error response from daemon: Invalid detach keys (ctrl-1) provided\n' });
    expect((await cli.run('rm', '-f', 'dk')).code).toBe(0);
    writeFileSync(join(cli.home, 'config.json'), '{}');
  }, 240_000);
});

describe('events', () => {
  it('replays what happened between --since and --until, as Docker prints it, filtered and formatted', async () => {
    const t0 = new Date().toISOString();
    const id = (await cli.run('create', '--name', 'ev1', '--label', 'team=a', IMG, 'true')).stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect((await cli.run('rename', 'ev1', 'ev2')).code).toBe(0);
    expect((await cli.run('rm', 'ev2')).code).toBe(0);
    const t1 = new Date().toISOString();
    const r = await cli.run('events', '--since', t0, '--until', t1, '--filter', 'type=container');
    expect(r.code, r.stderr).toBe(0);
    // The container's labels are the image's and its own (moby merges them), each an attribute.
    const FIXTURE_LABEL = 'org.tabdock.fixture=busybox';
    const line = (action: string, attrs: string) => `\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{9}Z container ${action} ${id} \\(${attrs.replace(/[.()/]/g, '\\$&')}\\)\n`;
    expect(r.stdout).toMatch(new RegExp(`^${line('create', `image=${IMG}, name=ev1, ${FIXTURE_LABEL}, team=a`)}${line('rename', `image=${IMG}, name=ev2, oldName=/ev1, ${FIXTURE_LABEL}, team=a`)}${line('destroy', `image=${IMG}, name=ev2, ${FIXTURE_LABEL}, team=a`)}$`));
    expect((await cli.run('events', '--since', t0, '--until', t1, '--filter', 'event=rename', '--format', '{{.Action}} {{.Actor.Attributes.oldName}} {{.Type}}')).stdout).toBe('rename /ev1 container\n');
    expect((await cli.run('events', '--since', t0, '--until', t1, '--filter', 'container=ev1', '--format', '{{.Status}}')).stdout).toBe('create\n');
    expect((await cli.run('events', '--since', t0, '--until', t1, '--filter', 'label=team=b')).stdout).toBe('');
    expect((await cli.run('system', 'events', '--since', t0, '--until', t1, '--filter', 'image=nothing')).stdout).toBe('');
    expect(await cli.run('events', '--filter', 'colour=red')).toEqual({ code: 1, stdout: '', stderr: "Error response from daemon: Invalid filter 'colour'\n" });
  }, 120_000);

  it('names kill (its signal), die (its exit code), stop, top, exec, cp, export and commit events as Docker does', async () => {
    const t0 = new Date().toISOString();
    const d = await cli.run('run', '-d', '--name', 'evx', IMG, 'sh', '-c', 'trap "exit 7" TERM; while true; do usleep 50000; done');
    expect(d.code, d.stderr).toBe(0);
    expect((await cli.run('exec', 'evx', 'sh', '-c', 'exit 3')).code).toBe(3);
    expect((await cli.run('top', 'evx')).code).toBe(0);
    const dir = mkdtempSync(join(tmpdir(), 'tabdock-ev-'));
    try {
      expect((await cli.run('cp', 'evx:/etc/hostname', join(dir, 'h'))).code).toBe(0);
      expect((await cli.run('cp', join(dir, 'h'), 'evx:/tmp/h')).code).toBe(0);
      expect((await cli.run('export', '-o', join(dir, 'x.tar'), 'evx')).code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const committed = await cli.run('commit', '-m', 'a note', 'evx', 'evx-img:1');
    expect(committed.code, committed.stderr).toBe(0);
    expect((await cli.run('stop', 'evx')).code).toBe(0);
    expect((await cli.run('inspect', '-f', '{{.State.ExitCode}}', 'evx')).stdout).toBe('7\n');
    const t1 = new Date(Date.now() + 1000).toISOString();
    const format = '{{.Action}}|{{index .Actor.Attributes "signal"}}|{{index .Actor.Attributes "exitCode"}}|{{len (index .Actor.Attributes "execID")}}';
    const r = await cli.run('events', '--since', t0, '--until', t1, '--filter', 'container=evx', '--filter', 'type=container', '--format', format);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trimEnd().split('\n')).toEqual([
      'create|||0', 'start|||0', 'exec_create: sh -c exit 3|||64', 'exec_start: sh -c exit 3|||64', 'exec_die||3|64', 'top|||0',
      'archive-path|||0', 'extract-to-dir|||0', 'export|||0', 'pause|||0', 'unpause|||0', 'commit|||0',
      'kill|15||0', 'die||7|0', 'stop|||0',
    ]);
    // commit's own attributes, as moby's: the comment, the new image's ID, the reference given.
    const commit = await cli.run('events', '--since', t0, '--until', t1, '--filter', 'event=commit', '--format', '{{index .Actor.Attributes "comment"}}|{{index .Actor.Attributes "imageRef"}}|{{index .Actor.Attributes "imageID"}}');
    expect(commit.stdout).toBe(`a note|evx-img:1|${committed.stdout.trim()}\n`);
    expect((await cli.run('rmi', 'evx-img:1')).code).toBe(0);
    expect((await cli.run('rm', 'evx')).code).toBe(0);
  }, 240_000);

  it('streams live events until interrupted', async () => {
    const child = spawn(BIN, ['events', '--filter', 'event=create', '--format', '{{json .}}'], { env: { ...process.env, ...cli.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    try {
      // The subscription is made when the command has its engine; create until one is seen.
      const got = await until('a live create event', async () => {
        await cli.run('create', '--name', `live${Date.now()}`, IMG, 'true');
        return out;
      }, (s) => s.includes('\n'));
      const m = JSON.parse(got.split('\n')[0]!);
      expect(m).toMatchObject({ status: 'create', Type: 'container', Action: 'create', Actor: { Attributes: { image: IMG } }, scope: 'local' });
      expect(m.id).toBe(m.Actor.ID);
      expect(typeof m.timeNano).toBe('number');
    } finally {
      child.kill('SIGINT');
    }
  }, 120_000);
});

describe('--cidfile and --group-add', () => {
  it('writes the ID to a new file and refuses one that exists, as Docker does; adds supplementary groups', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tabdock-cid-'));
    try {
      const f = join(dir, 'cid');
      const d = await cli.run('run', '-d', '--cidfile', f, '--name', 'cid1', IMG, 'true');
      expect(d.code, d.stderr).toBe(0);
      expect(readFileSync(f, 'utf8')).toBe(d.stdout.trim());
      expect(await cli.run('run', '--cidfile', f, IMG, 'true')).toEqual({ code: 125, stdout: '', stderr: `tabdock: Container ID file found, make sure the other container isn't running or delete ${f}.\nSee 'tabdock run --help'.\n` });
      expect(await cli.run('create', '--cidfile', f, IMG, 'true')).toEqual({ code: 1, stdout: '', stderr: `Container ID file found, make sure the other container isn't running or delete ${f}\n` });
      const g = join(dir, 'cid2');
      const c = await cli.run('create', '--cidfile', g, '--name', 'cid2', IMG, 'true');
      expect(readFileSync(g, 'utf8')).toBe(c.stdout.trim());
      // A create that fails leaves no file behind.
      const h = join(dir, 'cid3');
      expect((await cli.run('create', '--cidfile', h, '--name', 'cid2', IMG, 'true')).code).toBe(1);
      expect(() => readFileSync(h)).toThrow();
      expect((await cli.run('rm', '-f', 'cid1', 'cid2')).code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const groups = await cli.run('run', '--rm', '--group-add', '123', '--group-add', '456', '--name', 'grp', IMG, 'sh', '-c', 'grep ^Groups: /proc/self/status');
    expect(groups.stdout).toMatch(/^Groups:\s+0 123 456\s*\n$/);
    expect(JSON.parse((await cli.run('inspect', '-f', '{{json .HostConfig.GroupAdd}}', (await cli.run('create', '--group-add', '7', IMG)).stdout.trim())).stdout)).toEqual(['7']);
    const nosuch = await cli.run('run', '--rm', '--group-add', 'nosuchgroup', IMG, 'true');
    expect(nosuch.code).toBe(125);
    expect(nosuch.stderr).toContain('Unable to find group nosuchgroup');
  }, 180_000);
});

describe("the store's room", () => {
  it('df in a container and info show the disk holding the store, not a fixed size; info -f takes a Go template', async () => {
    const r = await cli.run('run', '--rm', IMG, 'busybox', 'df', '-k', '/');
    expect(r.code, r.stderr).toBe(0);
    const [, blocks, , avail] = r.stdout.split('\n')[1]!.trim().split(/\s+/).map(Number) as number[];
    const s = statfsSync(cli.home);
    expect(blocks).toBe(Math.floor((s.blocks * s.bsize) / 4096) * 4);
    // Free space moves as other things write to the disk; within 5% of it.
    expect(Math.abs(avail! * 1024 - s.bavail * s.bsize)).toBeLessThan(s.blocks * s.bsize * 0.05);
    const count = (await cli.run('ps', '-aq')).stdout.split('\n').filter(Boolean).length;
    expect(await cli.run('info', '-f', '{{.Containers}} {{.StoreSize}} {{.Driver}}')).toEqual({ code: 0, stdout: `${count} ${s.blocks * s.bsize} tabdock\n`, stderr: '' });
    expect((await cli.run('info')).stdout).toMatch(/\n Store: \d[\d.]*[kMGT]?B free of \d[\d.]*[kMGT]?B\n/);
    const bad = await cli.run('info', '-f', '{{.Nope');
    expect(bad.code).toBe(64);
    expect(bad.stderr).toMatch(/^Template parsing error: template: :1: /);
  }, 120_000);
});

// Last: it prunes what the tests before left.
describe('system df and system prune', () => {
  it('system df sums images, containers and volumes as Docker lays them out; system prune removes the unused', async () => {
    expect((await cli.run('create', '--name', 'dfc', '-v', '/data', IMG, 'sh', '-c', 'echo x > /data/f; echo y > /g')).code).toBe(0);
    expect((await cli.run('start', '-a', 'dfc')).code).toBe(0);
    const df = await cli.run('system', 'df');
    expect(df.code, df.stderr).toBe(0);
    const lines = df.stdout.split('\n');
    expect(lines[0]).toBe('TYPE            TOTAL     ACTIVE    SIZE      RECLAIMABLE');
    expect(lines[1]).toMatch(/^Images {10}1 {9}1 {9}\d[\d.]*[kM]B +0B \(0%\)$/);
    expect(lines[2]).toMatch(/^Containers {6}\d+ {8,9}0 {9}\d[\d.]*k?B +\d[\d.]*k?B \(100%\)$/);
    expect(lines[3]).toMatch(/^Local Volumes {3}1 {9}1 {9}\d[\d.]*k?B +0B \(0%\)$/);
    expect(lines[4]).toBe('Build Cache     0         0         0B        0B');
    expect((await cli.run('system', 'df', '--format', '{{.Type}}={{.TotalCount}}')).stdout.split('\n')[3]).toBe('Build Cache=0');
    const v = (await cli.run('system', 'df', '-v')).stdout;
    expect(v).toMatch(new RegExp(`^Images space usage:\n\nREPOSITORY +TAG +IMAGE ID +CREATED +SIZE +SHARED SIZE +UNIQUE SIZE +CONTAINERS\n${IMG.replace(/[.]/g, '\\.')} +latest +[0-9a-f]{12} +.+ ago +\\S+ +0B +\\S+ +\\d+\n`));
    expect(v).toMatch(/\nContainers space usage:\n\nCONTAINER ID +IMAGE +COMMAND +LOCAL VOLUMES +SIZE +CREATED +STATUS +NAMES\n(.*\n)*[0-9a-f]{12} .+ 1 +\d[\d.]*k?B \(virtual .+\) .+ Exited \(0\) .+ dfc\n/);
    expect(v).toMatch(/\nLocal Volumes space usage:\n\nVOLUME NAME +LINKS +SIZE\n[0-9a-f]{64} +1 +\d[\d.]*k?B\n/);
    expect(v).toMatch(/\nBuild cache usage: 0B\n\nCACHE ID   CACHE TYPE   SIZE      CREATED   LAST USED   USAGE     SHARED\n$/);

    expect(await cli.run('system', 'prune')).toEqual({ code: 1, stdout: '', stderr: 'tabdock system prune: stdin is not a terminal, so it cannot ask for confirmation; use -f (--force) to prune without asking\n' });
    const pr = await cli.run('system', 'prune', '-f', '--volumes');
    expect(pr.code, pr.stderr).toBe(0);
    expect(pr.stdout).toMatch(/^Deleted Containers:\n([0-9a-f]{64}\n)+\nDeleted Volumes:\n[0-9a-f]{64}\n\nTotal reclaimed space: \d[\d.]*k?B\n$/);
    expect((await cli.run('ps', '-aq')).stdout).toBe('');
    expect((await cli.run('system', 'df')).stdout.split('\n')[3]).toBe('Local Volumes   0         0         0B        0B');
  }, 180_000);
});
