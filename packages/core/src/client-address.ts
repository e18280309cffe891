/**
 * Which address a request came from, behind zero or more reverse proxies.
 *
 * `X-Forwarded-For` is a list each proxy appends to, so only its right end can
 * be believed: the leftmost entries are whatever the client chose to write.
 * Like Express's `trust proxy`, the address is found by walking from the socket
 * peer leftwards through the header, past every hop that is trusted, and taking
 * the first one that is not.
 */

/** Who may forward: nobody, the nearest `hops` proxies, or peers inside these ranges. */
export type ProxyTrust =
  | { kind: "none" }
  | { kind: "hops"; hops: number }
  | { kind: "ranges"; ranges: AddressRange[]; text: string };

export interface AddressRange {
  /** 4 or 16 bytes. */
  bytes: Uint8Array;
  prefix: number;
}

// Express's names for common ranges.
const NAMED_RANGES: Record<string, string[]> = {
  loopback: ["127.0.0.0/8", "::1/128"],
  linklocal: ["169.254.0.0/16", "fe80::/10"],
  uniquelocal: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"],
};

/** Largest number of header entries looked at; a longer chain is not a real proxy path. */
const MAX_HOPS = 64;

/**
 * Parses a TRUST_PROXY value: `false`/`0` (no proxy), `true` (exactly one: the
 * peer is the proxy), a hop count, or comma-separated addresses/CIDR ranges
 * (and the names loopback, linklocal, uniquelocal). Returns a message when invalid.
 */
export function parseProxyTrust(value: string): ProxyTrust | string {
  const text = value.trim().toLowerCase();
  if (text === "" || text === "false" || text === "no") return { kind: "none" };
  if (text === "true" || text === "yes") return { kind: "hops", hops: 1 };
  if (/^\d{1,3}$/.test(text)) {
    const hops = Number(text);
    return hops === 0 ? { kind: "none" } : { kind: "hops", hops };
  }
  const ranges: AddressRange[] = [];
  for (const item of text
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean)) {
    for (const cidr of NAMED_RANGES[item] ?? [item]) {
      const range = parseRange(cidr);
      if (!range) return `"${item}" is not true, false, a hop count, an IP address or a CIDR range`;
      ranges.push(range);
    }
  }
  return ranges.length > 0 ? { kind: "ranges", ranges, text } : { kind: "none" };
}

/**
 * The client's address: the socket peer if no proxy is trusted, otherwise the
 * address the outermost trusted proxy saw. Null when the socket has no address.
 */
export function clientAddress(
  socketAddress: string | null | undefined,
  forwardedFor: string | null | undefined,
  trust: ProxyTrust,
): string | null {
  const peer = socketAddress ? canonicalAddress(socketAddress) : null;
  if (!peer || trust.kind === "none" || !forwardedFor) return peer;
  // Nearest first: the peer, then the header from its right end.
  const entries = forwardedFor.split(",");
  let current = peer;
  for (let index = entries.length - 1, step = 1; index >= 0 && step <= MAX_HOPS; index--, step++) {
    const trusted = trust.kind === "hops" ? step <= trust.hops : isInRanges(current, trust.ranges);
    if (!trusted) return current;
    const next = canonicalAddress(entries[index]!.trim());
    // A trusted proxy writes real addresses; anything else was there before it, from the client.
    if (!next) return current;
    current = next;
  }
  return current;
}

/**
 * The key a client is counted under by rate limits: an IPv4 address, or the
 * /64 network of an IPv6 address (one subscriber usually holds a whole /64, so
 * counting single IPv6 addresses would give them 2^64 tries).
 */
export function rateLimitBucket(address: string | null): string {
  if (!address) return "unknown";
  const bytes = parseAddress(address);
  if (!bytes || bytes.length === 4) return address;
  const groups: string[] = [];
  for (let i = 0; i < 8; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return `${groups.join(":")}::/64`;
}

/** Same network? (For matching a client against addresses it used before.) */
export function sameRateLimitBucket(a: string | null, b: string | null): boolean {
  return !!a && !!b && rateLimitBucket(a) === rateLimitBucket(b);
}

/**
 * Canonical text of an IP address (IPv4-mapped IPv6 becomes IPv4, IPv6 is
 * compressed and lower-case, a zone is dropped), or null if it is not one.
 */
export function canonicalAddress(text: string): string | null {
  const bytes = parseAddress(text);
  if (!bytes) return null;
  if (bytes.length === 4) return bytes.join(".");
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  // Longest run of zero groups (at least two) becomes "::".
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLength).join(":")}`;
}

function isInRanges(address: string, ranges: AddressRange[]): boolean {
  const bytes = parseAddress(address);
  return !!bytes && ranges.some((range) => inRange(bytes, range));
}

function inRange(bytes: Uint8Array, range: AddressRange): boolean {
  if (bytes.length !== range.bytes.length) return false;
  let bits = range.prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((bytes[i]! & mask) !== (range.bytes[i]! & mask)) return false;
  }
  return true;
}

function parseRange(text: string): AddressRange | null {
  const slash = text.indexOf("/");
  const bytes = parseAddress(slash < 0 ? text : text.slice(0, slash));
  if (!bytes) return null;
  const max = bytes.length * 8;
  if (slash < 0) return { bytes, prefix: max };
  const prefixText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText)) return null;
  const prefix = Number(prefixText);
  return prefix <= max ? { bytes, prefix } : null;
}

/** 4 bytes for IPv4 (and IPv4-mapped IPv6), 16 for IPv6, null otherwise. No regex backtracking: a hand-written scanner. */
export function parseAddress(input: string): Uint8Array | null {
  if (input.length === 0 || input.length > 64) return null;
  let text = input;
  if (text.startsWith("[") && text.endsWith("]")) text = text.slice(1, -1);
  const zone = text.indexOf("%");
  if (zone >= 0) text = text.slice(0, zone);
  if (!text.includes(":")) return parseIPv4(text);
  const v6 = parseIPv6(text);
  if (!v6) return null;
  // ::ffff:a.b.c.d is an IPv4 client on a dual-stack socket.
  const mapped = v6.slice(0, 10).every((byte) => byte === 0) && v6[10] === 0xff && v6[11] === 0xff;
  return mapped ? v6.slice(12) : v6;
}

function parseIPv4(text: string): Uint8Array | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = parts[i]!;
    if (!/^\d{1,3}$/.test(part) || (part.length > 1 && part.startsWith("0"))) return null;
    const value = Number(part);
    if (value > 255) return null;
    bytes[i] = value;
  }
  return bytes;
}

function parseIPv6(text: string): Uint8Array | null {
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const parseGroups = (part: string): number[] | null => {
    if (part === "") return [];
    const groups: number[] = [];
    const pieces = part.split(":");
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i]!;
      if (i === pieces.length - 1 && piece.includes(".")) {
        const v4 = parseIPv4(piece);
        if (!v4) return null;
        groups.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else {
        if (!/^[0-9a-f]{1,4}$/i.test(piece)) return null;
        groups.push(parseInt(piece, 16));
      }
    }
    return groups;
  };
  const head = parseGroups(halves[0]!);
  const tail = halves.length === 2 ? parseGroups(halves[1]!) : [];
  if (!head || !tail) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const groups = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  groups.forEach((group, i) => {
    bytes[i * 2] = group >> 8;
    bytes[i * 2 + 1] = group & 0xff;
  });
  return bytes;
}
