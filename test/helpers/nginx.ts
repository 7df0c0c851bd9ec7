/**
 * A real nginx (Debian's `nginx` package; `.ci/run` installs it) started by a test with a config
 * of its own: every path (pid, logs, temp) in a fresh temp dir, listening on a free loopback port,
 * in the foreground as our child so it can always be stopped.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

export const NGINX_MISSING = 'nginx is not installed: apt-get install -y nginx (as .ci/run does)';

/** nginx's path: on PATH, or Debian's /usr/sbin (not on a normal user's PATH). */
export function findNginx(): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/usr/local/sbin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = path.join(dir, 'nginx');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** `nginx version: nginx/1.22.1` → `1.22.1`. */
export function nginxVersion(bin: string): string {
  // nginx -v prints to stderr.
  const { stderr } = spawnSync(bin, ['-v'], { encoding: 'utf8' });
  return /nginx\/(\S+)/.exec(stderr)?.[1] ?? 'unknown';
}

export interface ProxyLocation {
  /** The location prefix, e.g. `/` or `/quiet/`. */
  prefix: string;
  /** `http://127.0.0.1:<port>/`: the trailing slash makes nginx strip the prefix. */
  upstream: string;
  /** More directives for this location, e.g. `proxy_ignore_headers X-Accel-Buffering;`. */
  extra?: string;
}

export interface Nginx {
  url: string;
  version: string;
  /** The error log so far (for failure messages). */
  errorLog(): Promise<string>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function config(dir: string, port: number, readTimeout: string, locations: readonly ProxyLocation[]): string {
  const blocks = locations.map(
    ({ prefix, upstream, extra = '' }) => `
    location ${prefix} {
      proxy_pass ${upstream};
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering on;            # nginx's default, spelled out: only X-Accel-Buffering: no turns it off
      proxy_read_timeout ${readTimeout};
      ${extra}
    }`,
  );
  return `daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:${port};
${blocks.join('\n')}
  }
}
`;
}

/** Waits until nginx accepts connections on `port`, or fails when it exits first. */
async function ready(child: ChildProcess, port: number, stderr: () => string): Promise<void> {
  const deadline = performance.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`nginx exited (${child.exitCode ?? child.signalCode}): ${stderr()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (performance.now() > deadline) throw new Error(`nginx did not listen on ${port} within 10 s: ${stderr()}`);
    await delay(20); // a poll bounded by the deadline
  }
}

/**
 * Starts nginx in front of `locations` with a short `proxy_read_timeout`. Throws
 * {@link NGINX_MISSING} when nginx is not installed. Call `stop()` in a teardown: it also runs
 * when the process exits, so a failed test never leaves nginx behind.
 */
export async function startNginx(locations: readonly ProxyLocation[], readTimeout = '2s'): Promise<Nginx> {
  const bin = findNginx();
  if (!bin) throw new Error(NGINX_MISSING);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sse-actors-nginx-'));
  await chmod(dir, 0o755); // nginx's workers may run as another user and create the temp dirs here
  const port = await freePort();
  const conf = path.join(dir, 'nginx.conf');
  await writeFile(conf, config(dir, port, readTimeout, locations));

  let stderr = '';
  // Its own process group, so the master and its workers can be killed together if all else fails.
  const child = spawn(bin, ['-c', conf, '-p', dir, '-e', path.join(dir, 'error.log')], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  child.stderr?.setEncoding('utf8').on('data', (piece: string) => (stderr += piece));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const killOnExit = () => {
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
  };
  process.once('exit', killOnExit);

  const stop = async () => {
    process.off('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM'); // fast shutdown: open streams are cut
      const timer = setTimeout(killOnExit, 5000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await ready(child, port, () => stderr);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url: `http://127.0.0.1:${port}`,
    version: nginxVersion(bin),
    errorLog: () => readFile(path.join(dir, 'error.log'), 'utf8').catch(() => ''),
    stop,
  };
}
