import net from 'node:net';
import { parseCidr } from './config.js';

/** Whether an address may connect, and if not why. */
export type IpDecision = { ok: true } | { ok: false; message: string };

function toBlockList(entries: readonly string[]): net.BlockList {
  const list = new net.BlockList();
  for (const e of entries) {
    const c = parseCidr(e);
    if (!c) continue; // the config loader already refused it
    list.addSubnet(c.address, c.prefix, c.family);
  }
  return list;
}

/** `::ffff:10.0.0.1` (IPv4 seen by a dual-stack socket) is checked as `10.0.0.1`. */
function normalize(address: string): { address: string; family: 'ipv4' | 'ipv6' } | undefined {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  const a = mapped ? mapped[1]! : address;
  if (net.isIPv4(a)) return { address: a, family: 'ipv4' };
  if (net.isIPv6(a)) return { address: a, family: 'ipv6' };
  return undefined;
}

/**
 * IP allow and deny lists (CIDR, v4 and v6) over `node:net` `BlockList`. Deny wins; an empty allow list
 * allows every address not denied.
 *
 * @example
 * const filter = new IpFilter(['10.0.0.0/8', '::1'], ['10.6.6.0/24']);
 * filter.check(req.socket.remoteAddress ?? ''); // { ok: false, message: '...' } for 10.6.6.6
 */
export class IpFilter {
  private readonly allow: net.BlockList | undefined;
  private readonly deny: net.BlockList | undefined;

  constructor(allow: readonly string[], deny: readonly string[]) {
    this.allow = allow.length > 0 ? toBlockList(allow) : undefined;
    this.deny = deny.length > 0 ? toBlockList(deny) : undefined;
  }

  /** True when neither list is configured (the check can be skipped). */
  get open(): boolean {
    return !this.allow && !this.deny;
  }

  check(remoteAddress: string): IpDecision {
    if (this.open) return { ok: true };
    const n = normalize(remoteAddress);
    if (!n) return { ok: false, message: `client address "${remoteAddress}" is not an IP address` };
    if (this.deny?.check(n.address, n.family)) {
      return { ok: false, message: `client address ${n.address} is in the deny list (BULWARK_IP_DENY)` };
    }
    if (this.allow && !this.allow.check(n.address, n.family)) {
      return {
        ok: false,
        message: `client address ${n.address} is not in the allow list (BULWARK_IP_ALLOW)`,
      };
    }
    return { ok: true };
  }
}
