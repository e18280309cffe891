import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { type BlockList, isIP, type LookupFunction } from "node:net";
import { canonicalAddress, parseAddress } from "@rapport/core";
import { blockListOf } from "../../../lib/cidr";

/**
 * Where outgoing webhook requests may go. A receiver URL is chosen by a workspace
 * member, so without this a webhook could read the cloud metadata service, the
 * database or anything else on the server's network (SSRF).
 *
 * The address is checked at connect time, inside the socket's own DNS lookup, so a
 * name that resolves to a public address when checked and a private one when
 * connecting (DNS rebinding) is still refused. Literal IP addresses in the URL never
 * reach a lookup, so `checkUrl` checks them.
 */

export interface DestinationPolicy {
  /** CIDR ranges (or single addresses) that are reachable even though a rule below refuses them. */
  allowedCidrs?: readonly string[];
  /** Host names (or literal addresses) that may be reached over plain http; everything else needs https. */
  plainHttpHosts?: readonly string[];
  /** The resolver (tests inject one; defaults to the system resolver, as sockets use). */
  resolve?: (hostname: string) => Promise<readonly LookupAddress[]>;
}

export type DestinationRefusal = "invalid_url" | "scheme" | "address" | "unresolvable";

/** A destination the policy refuses; the message says why and is safe to show to the endpoint's owner. */
export class DestinationRefusedError extends Error {
  override readonly name = "DestinationRefusedError";
  constructor(
    readonly reason: DestinationRefusal,
    message: string,
  ) {
    super(message);
  }
}

/** Ranges never reached unless allowed, each with the reason given when refused. */
const REFUSED_RANGES: readonly (readonly [cidr: string, why: string])[] = [
  ["0.0.0.0/8", 'an unspecified ("this network") address'],
  ["10.0.0.0/8", "a private address (10.0.0.0/8)"],
  ["100.64.0.0/10", "a carrier-grade NAT address (100.64.0.0/10)"],
  ["127.0.0.0/8", "a loopback address"],
  ["169.254.0.0/16", "a link-local address (169.254.0.0/16, where cloud metadata services live)"],
  ["172.16.0.0/12", "a private address (172.16.0.0/12)"],
  ["192.0.0.0/24", "an IETF protocol address (192.0.0.0/24)"],
  ["192.168.0.0/16", "a private address (192.168.0.0/16)"],
  ["198.18.0.0/15", "a benchmarking address (198.18.0.0/15)"],
  ["224.0.0.0/4", "a multicast address"],
  ["240.0.0.0/4", "a reserved or broadcast address (240.0.0.0/4)"],
  ["::/128", "the unspecified address"],
  ["::1/128", "a loopback address"],
  ["::/96", "an IPv4-compatible IPv6 address (deprecated)"],
  ["100::/64", "a discard-only address (100::/64)"],
  ["fc00::/7", "a unique-local IPv6 address (fc00::/7)"],
  ["fe80::/10", "a link-local IPv6 address (fe80::/10)"],
  ["fec0::/10", "a site-local IPv6 address (fec0::/10)"],
  ["ff00::/8", "a multicast address"],
];

interface Range {
  list: BlockList;
  why: string;
}

export interface DestinationGuard {
  /** Parses a receiver URL and refuses it for its scheme or a literal address; returns the URL. */
  checkUrl(url: string): URL;
  /** Refuses an address the policy does not allow (the reason is in the error). */
  checkAddress(address: string): void;
  /** The `lookup` for `http.request`/`net.connect`: resolves, then refuses if any address is refused. */
  lookup: LookupFunction;
}

export function createDestinationGuard(policy: DestinationPolicy = {}): DestinationGuard {
  const refused: Range[] = REFUSED_RANGES.map(([cidr, why]) => ({ list: blockListOf([cidr]), why }));
  const allowed = blockListOf(policy.allowedCidrs ?? []);
  const plainHttp = new Set((policy.plainHttpHosts ?? []).map(normalizeHost));
  const resolve = policy.resolve ?? systemResolve;

  function checkAddress(address: string): void {
    const canonical = canonicalAddress(address);
    if (!canonical) throw new DestinationRefusedError("address", `${address} is not an IP address`);
    const family = isIP(canonical) === 6 ? "ipv6" : "ipv4";
    if (allowed.check(canonical, family)) return;
    for (const range of refused) {
      if (range.list.check(canonical, family)) {
        throw new DestinationRefusedError("address", `${canonical} is ${range.why}, which webhooks may not reach`);
      }
    }
    // IPv6 forms that carry an IPv4 address the network routes to it: NAT64 and 6to4.
    const embedded = embeddedIPv4(canonical);
    if (embedded) {
      try {
        checkAddress(embedded);
      } catch (error) {
        if (!(error instanceof DestinationRefusedError)) throw error;
        throw new DestinationRefusedError("address", `${canonical} embeds ${error.message}`);
      }
    }
  }

  function checkUrl(text: string): URL {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new DestinationRefusedError("invalid_url", "Not a valid URL");
    }
    const host = normalizeHost(url.hostname);
    // The address first: for http://169.254.169.254/ that is the reason that matters.
    if (isIP(host)) checkAddress(host);
    if (url.protocol === "http:") {
      if (!plainHttp.has(host)) {
        throw new DestinationRefusedError("scheme", `Plain http is not allowed for ${host}; use https`);
      }
    } else if (url.protocol !== "https:") {
      throw new DestinationRefusedError("scheme", `The ${url.protocol.slice(0, -1)} scheme is not allowed; use https`);
    }
    return url;
  }

  const lookup: LookupFunction = (hostname, options, callback) => {
    resolve(hostname).then(
      (addresses) => {
        if (addresses.length === 0) {
          callback(lookupError(new DestinationRefusedError("unresolvable", `${hostname} has no address`)), "", 4);
          return;
        }
        try {
          for (const { address } of addresses) checkAddress(address);
        } catch (error) {
          const refusal = error as DestinationRefusedError;
          callback(
            lookupError(new DestinationRefusedError("address", `${hostname} resolves to ${refusal.message}`)),
            "",
            4,
          );
          return;
        }
        const wanted = options.family === 4 || options.family === 6 ? options.family : 0;
        const usable = wanted === 0 ? addresses : addresses.filter((entry) => entry.family === wanted);
        if (options.all) callback(null, [...usable]);
        else if (usable[0]) callback(null, usable[0].address, usable[0].family);
        else
          callback(
            lookupError(new DestinationRefusedError("unresolvable", `${hostname} has no IPv${wanted} address`)),
            "",
            4,
          );
      },
      (error: unknown) => {
        const message = error instanceof Error && "code" in error ? String(error.code) : "lookup failed";
        callback(
          lookupError(new DestinationRefusedError("unresolvable", `${hostname} could not be resolved (${message})`)),
          "",
          4,
        );
      },
    );
  };

  return { checkUrl, checkAddress, lookup };
}

function normalizeHost(host: string): string {
  const bare = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  const lower = bare.toLowerCase();
  return canonicalAddress(lower) ?? (lower.endsWith(".") ? lower.slice(0, -1) : lower);
}

/** The IPv4 address inside a NAT64 (64:ff9b::/96) or 6to4 (2002::/16) address. */
function embeddedIPv4(address: string): string | null {
  const bytes = parseAddress(address);
  if (bytes?.length !== 16) return null;
  const nat64 = [0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0].every((byte, i) => bytes[i] === byte);
  if (nat64) return bytes.slice(12).join(".");
  if (bytes[0] === 0x20 && bytes[1] === 0x02) return bytes.slice(2, 6).join(".");
  return null;
}

function systemResolve(hostname: string): Promise<readonly LookupAddress[]> {
  return new Promise((resolve, reject) => {
    dnsLookup(hostname, { all: true, verbatim: true }, (error, addresses) =>
      error ? reject(error) : resolve(addresses),
    );
  });
}

/** A lookup error the socket reports as a connection error, keeping the refusal (and its reason) as the error. */
function lookupError(refusal: DestinationRefusedError): NodeJS.ErrnoException {
  return Object.assign(refusal, { code: "EWEBHOOKDESTINATION" });
}
