const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
const absolute = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });
/** "Dec 1, 2026": dates in lists and profiles. */
export const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });
/** "Dec 1, 2026, 7:48 AM": timeline entries and requests. */
export const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ["year", 365 * 86_400],
  ["month", 30 * 86_400],
  ["week", 7 * 86_400],
  ["day", 86_400],
  ["hour", 3_600],
  ["minute", 60],
];

/** "just now", "5 minutes ago", "yesterday", "3 weeks ago". */
export function formatRelative(date: Date, now: number): string {
  const seconds = Math.round((date.getTime() - now) / 1000);
  if (Math.abs(seconds) < 45) return "just now";
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size || unit === "minute") return relative.format(Math.round(seconds / size), unit);
  }
  return relative.format(seconds, "second");
}

/** Full local date and time, for titles and tables. */
export function formatAbsolute(date: Date): string {
  return absolute.format(date);
}

export function formatShortAbsolute(date: Date): string {
  return dateTimeFormat.format(date);
}

const DAY_MS = 86_400_000;

/**
 * "3 days", "1 day", "less than a day" between two instants, to the nearest
 * day: a 30-day grace period reads "30 days" when it starts, whether the
 * countdown's clock last ticked before or after the request.
 */
export function formatDays(ms: number): string {
  const days = Math.round(Math.abs(ms) / DAY_MS);
  if (days === 0) return "less than a day";
  return `${days} day${days === 1 ? "" : "s"}`;
}

/** yyyy-MM-ddTHH:mm in local time, for <input type="datetime-local">. */
export function toLocalInput(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** The IANA time zone the browser counts "today" in. */
export function localTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}
