/** Browsers and systems in the order a User-Agent header must be searched (Edge names Chrome too, Chrome names Safari). */
const BROWSERS: [needle: string, name: string][] = [
  ["Edg/", "Edge"],
  ["OPR/", "Opera"],
  ["Firefox/", "Firefox"],
  ["Chrome/", "Chrome"],
  ["Safari/", "Safari"],
];
const SYSTEMS: [needle: string, name: string][] = [
  ["Android", "Android"],
  ["iPhone", "iOS"],
  ["iPad", "iPadOS"],
  ["Windows", "Windows"],
  ["Mac OS X", "macOS"],
  ["CrOS", "ChromeOS"],
  ["Linux", "Linux"],
];

/**
 * "Firefox on Linux" from a User-Agent header, for people to recognise their sessions. Plain
 * substring checks: the header is whatever a client sent, never matched with a pattern.
 */
export function browserOf(userAgent: string | null): string {
  if (!userAgent) return "Unknown browser";
  const browser = BROWSERS.find(([needle]) => userAgent.includes(needle))?.[1];
  const system = SYSTEMS.find(([needle]) => userAgent.includes(needle))?.[1];
  if (browser && system) return `${browser} on ${system}`;
  if (browser ?? system) return (browser ?? system)!;
  // An API client or script: its own name, shortened.
  return userAgent.length > 40 ? `${userAgent.slice(0, 40)}…` : userAgent;
}
