import { describe, expect, it } from "vitest";
import {
  canonicalAddress,
  clientAddress,
  parseProxyTrust,
  rateLimitBucket,
  type ProxyTrust,
} from "../src/client-address";

const trust = (value: string): ProxyTrust => {
  const parsed = parseProxyTrust(value);
  if (typeof parsed === "string") throw new Error(parsed);
  return parsed;
};

describe("parseProxyTrust", () => {
  it("reads false, true (one hop), hop counts, addresses, CIDR ranges and names", () => {
    expect(trust("false")).toEqual({ kind: "none" });
    expect(trust("0")).toEqual({ kind: "none" });
    expect(trust("true")).toEqual({ kind: "hops", hops: 1 });
    expect(trust("2")).toEqual({ kind: "hops", hops: 2 });
    expect(trust("10.0.0.0/8, 2001:db8::/32, 192.0.2.7").kind).toBe("ranges");
    expect(trust("loopback,uniquelocal").kind).toBe("ranges");
  });

  it("names what it cannot read", () => {
    expect(parseProxyTrust("10.0.0.0/33")).toMatch(/10\.0\.0\.0\/33/);
    expect(parseProxyTrust("proxy.example.com")).toMatch(/proxy\.example\.com/);
    expect(parseProxyTrust("1.2.3")).toMatch(/not true, false/);
  });
});

describe("clientAddress", () => {
  it("ignores X-Forwarded-For when no proxy is trusted", () => {
    expect(clientAddress("203.0.113.9", "198.51.100.1", trust("false"))).toBe("203.0.113.9");
  });

  it("with one trusted hop takes the entry the proxy appended, not the leftmost one the client wrote", () => {
    // The client sent "X-Forwarded-For: 1.1.1.1"; the proxy appended the real peer.
    expect(clientAddress("10.0.0.2", "1.1.1.1, 203.0.113.9", trust("true"))).toBe("203.0.113.9");
    expect(clientAddress("10.0.0.2", "203.0.113.9", trust("1"))).toBe("203.0.113.9");
    // No header: the peer itself.
    expect(clientAddress("10.0.0.2", undefined, trust("true"))).toBe("10.0.0.2");
  });

  it("counts hops from the right", () => {
    const header = "6.6.6.6, 203.0.113.9, 10.0.0.1";
    expect(clientAddress("10.0.0.2", header, trust("2"))).toBe("203.0.113.9");
    expect(clientAddress("10.0.0.2", header, trust("1"))).toBe("10.0.0.1");
    // More hops than entries: the leftmost.
    expect(clientAddress("10.0.0.2", "203.0.113.9", trust("5"))).toBe("203.0.113.9");
  });

  it("walks past trusted ranges only", () => {
    const ranges = trust("10.0.0.0/8,2001:db8:aa::/48");
    expect(clientAddress("10.0.0.2", "6.6.6.6, 203.0.113.9, 10.1.2.3", ranges)).toBe("203.0.113.9");
    // A peer outside the ranges is the client, whatever it claims.
    expect(clientAddress("198.51.100.4", "6.6.6.6", ranges)).toBe("198.51.100.4");
    expect(clientAddress("2001:db8:aa::5", "2001:db8:bb::7", ranges)).toBe("2001:db8:bb::7");
    // Everything trusted: the leftmost entry.
    expect(clientAddress("10.0.0.2", "10.9.9.9", ranges)).toBe("10.9.9.9");
  });

  it("stops at an entry that is not an address", () => {
    expect(clientAddress("10.0.0.2", "garbage, 203.0.113.9", trust("2"))).toBe("203.0.113.9");
    expect(clientAddress("10.0.0.2", "203.0.113.9, not-an-ip", trust("true"))).toBe("10.0.0.2");
  });

  it("treats IPv4-mapped IPv6 peers as IPv4", () => {
    expect(clientAddress("::ffff:127.0.0.1", null, trust("false"))).toBe("127.0.0.1");
    expect(clientAddress("::ffff:10.0.0.2", "203.0.113.9", trust("10.0.0.0/8"))).toBe("203.0.113.9");
  });
});

describe("addresses", () => {
  it("canonicalizes", () => {
    expect(canonicalAddress("2001:DB8:0:0:0:0:0:1")).toBe("2001:db8::1");
    expect(canonicalAddress("[fe80::1%eth0]")).toBe("fe80::1");
    expect(canonicalAddress("::")).toBe("::");
    expect(canonicalAddress("1:0:0:2:0:0:0:3")).toBe("1:0:0:2::3");
    for (const bad of ["", "256.1.1.1", "01.2.3.4", "1.2.3", "1::2::3", "1:2:3:4:5:6:7:8:9", "g::1", ":1:2"]) {
      expect(canonicalAddress(bad), bad).toBeNull();
    }
  });

  it("counts IPv6 clients per /64 and IPv4 clients per address", () => {
    expect(rateLimitBucket("2001:db8:1:2:aaaa::1")).toBe("2001:db8:1:2::/64");
    expect(rateLimitBucket("2001:db8:1:2:bbbb::9")).toBe("2001:db8:1:2::/64");
    expect(rateLimitBucket("2001:db8:1:3::1")).not.toBe(rateLimitBucket("2001:db8:1:2::1"));
    expect(rateLimitBucket("203.0.113.9")).toBe("203.0.113.9");
    expect(rateLimitBucket(null)).toBe("unknown");
  });
});
