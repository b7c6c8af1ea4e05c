// Starts Debian's clickhouse-server (18.16, far too old for Warden) in a temp dir on free
// ports, for the "server too old" test. .ci/run installs the package.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { freePort } from '../../helpers/processes.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CLICKHOUSE_SERVER_BIN = '/usr/sbin/clickhouse-server';
const SYSTEM_CONFIG = '/etc/clickhouse-server/config.xml';
const SYSTEM_USERS = '/etc/clickhouse-server/users.xml';


export interface OldServer {
  url: string;
  stop(): Promise<void>;
}

export async function startOldClickHouse(): Promise<OldServer> {
  if (!existsSync(CLICKHOUSE_SERVER_BIN) || !existsSync(SYSTEM_CONFIG)) {
    throw new Error(`${CLICKHOUSE_SERVER_BIN} is missing: apt-get install clickhouse-server (see .ci/run)`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'warden-ch18-'));
  for (const sub of ['data', 'tmp', 'log', 'user_files', 'format_schemas']) mkdirSync(join(dir, sub));
  const [http, tcp, interserver] = [await freePort(), await freePort(), await freePort()];
  const config = readFileSync(SYSTEM_CONFIG, 'utf8')
    .replace(/\/var\/lib\/clickhouse\//g, `${dir}/data/`)
    .replace(/\/var\/log\/clickhouse-server\//g, `${dir}/log/`)
    .replace(/<http_port>\d+<\/http_port>/, `<http_port>${http}</http_port>`)
    .replace(/<tcp_port>\d+<\/tcp_port>/, `<tcp_port>${tcp}</tcp_port>`)
    .replace(/<interserver_http_port>\d+<\/interserver_http_port>/, `<interserver_http_port>${interserver}</interserver_http_port>`)
    .replace(/<tcp_port_secure>\d+<\/tcp_port_secure>/, '')
    .replace(/<listen_host>::1<\/listen_host>/, '');
  writeFileSync(join(dir, 'config.xml'), config);
  writeFileSync(join(dir, 'users.xml'), readFileSync(SYSTEM_USERS, 'utf8'));
  const child: ChildProcess = spawn(CLICKHOUSE_SERVER_BIN, [`--config-file=${join(dir, 'config.xml')}`], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${http}`;
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 150; i++) {
    try {
      const response = await fetch(`${url}/ping`);
      if (response.ok) return { url, stop };
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error('clickhouse-server did not start within 15 s');
}
