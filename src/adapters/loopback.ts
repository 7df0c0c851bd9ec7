/**
 * True when a socket's `remoteAddress` is this machine's loopback: `127.0.0.0/8`, `::1`, or an IPv4
 * loopback mapped into IPv6 (`::ffff:127.x.y.z`, what a dual-stack server reports). Anything else,
 * `undefined` included (a Unix socket, a destroyed socket), is not: a proxy in front of the server
 * makes every request loopback, so read this only where no proxy forwards remote traffic, and never
 * from `X-Forwarded-For`, which the client writes.
 * @example
 * ```ts
 * isLoopbackAddress(req.socket.remoteAddress); // true for 127.0.0.1, ::1, ::ffff:127.0.0.1
 * ```
 */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (typeof address !== 'string') return false;
  const lower = address.toLowerCase();
  if (lower === '::1' || lower === '0:0:0:0:0:0:0:1') return true;
  const v4 = lower.startsWith('::ffff:') ? lower.slice(7) : lower;
  const octets = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(v4);
  return octets !== null && octets[1] === '127' && octets.slice(2).every((octet) => Number(octet) <= 255);
}
