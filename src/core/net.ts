import { isIP } from 'node:net';

/**
 * Whether a host names this machine only: `localhost`, any address of 127.0.0.0/8, `::1`, or
 * an IPv4-mapped loopback (`::ffff:127.0.0.1`), with or without IPv6 brackets. One rule for
 * every check (serve's token requirement and Host check, the proxy's --listen), so an address
 * can never count as loopback for one and not the other.
 */
export function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const name = bare.toLowerCase();
  if (name === 'localhost' || name === '::1' || name === '0:0:0:0:0:0:0:1') return true;
  if (isIP(name) === 4) return name.startsWith('127.');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(name);
  return mapped !== null && isIP(mapped[1] as string) === 4 && (mapped[1] as string).startsWith('127.');
}

/** The host name of a Host header value (`name`, `name:port`, `[v6]`, `[v6]:port`). */
export function hostnameOfHostHeader(host: string): string {
  if (host.startsWith('[')) return host.slice(1, host.indexOf(']'));
  const colon = host.lastIndexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}

/**
 * On a loopback listener, a request whose Host or Origin names another machine came through a
 * name that resolves here (DNS rebinding) or from another site's page: this says which header,
 * or undefined when both name this machine. A missing Host, or Origin `null`, counts as foreign.
 */
export function foreignHostHeader(host: string | undefined, origin: string | undefined): { header: 'Host' | 'Origin'; value: string } | undefined {
  if (host === undefined || !isLoopbackHost(hostnameOfHostHeader(host))) return { header: 'Host', value: host ?? '' };
  if (origin === undefined) return undefined;
  try {
    if (origin !== 'null' && isLoopbackHost(new URL(origin).hostname)) return undefined;
  } catch {
    // not a URL: foreign
  }
  return { header: 'Origin', value: origin };
}
