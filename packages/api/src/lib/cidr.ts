import { BlockList, isIP } from "node:net";

/**
 * A `net.BlockList` holding these ranges (`10.0.0.0/8`, `fd00::/8`) or single
 * addresses. Parsed without regular expressions; throws naming the first bad entry.
 */
export function blockListOf(cidrs: readonly string[]): BlockList {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const slash = cidr.indexOf("/");
    const address = slash < 0 ? cidr : cidr.slice(0, slash);
    const family = isIP(address);
    const max = family === 4 ? 32 : 128;
    const prefixText = slash < 0 ? String(max) : cidr.slice(slash + 1);
    const prefix = Number(prefixText);
    if (family === 0 || prefixText === "" || !Number.isInteger(prefix) || prefix < 0 || prefix > max) {
      throw new Error(`"${cidr}" is not an IP address or CIDR range`);
    }
    list.addSubnet(address, prefix, family === 4 ? "ipv4" : "ipv6");
  }
  return list;
}
