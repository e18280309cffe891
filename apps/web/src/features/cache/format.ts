const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const timeOfDay = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const timeWithSeconds = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" });

export const DASH = "—";

export function formatCount(value: number | null | undefined): string {
  return value === null || value === undefined ? DASH : integer.format(value);
}

/** "1 hit", "1,024 hits". */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${formatCount(count)} ${count === 1 ? one : many}`;
}

/** 0.8234 → "82.3%". */
export function formatRate(rate: number | null | undefined): string {
  if (rate === null || rate === undefined) return DASH;
  return `${(rate * 100).toFixed(rate === 1 || rate === 0 ? 0 : 1)}%`;
}

/** Milliseconds with sensible precision: "0.042 ms", "1.3 ms", "250 ms". */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return DASH;
  if (ms < 0.1) return `${ms.toFixed(3)} ms`;
  if (ms < 10) return `${ms.toFixed(ms < 1 ? 2 : 1)} ms`;
  return `${integer.format(ms)} ms`;
}

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return DASH;
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 || value >= 100 ? 0 : 1)} ${units[unit]}`;
}

export function formatSeconds(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return DASH;
  return `${seconds.toFixed(seconds < 10 ? 2 : 1)} s`;
}

/** "14:05" */
export function formatTime(date: Date): string {
  return timeOfDay.format(date);
}

/** "14:05:30" */
export function formatTimeWithSeconds(date: Date): string {
  return timeWithSeconds.format(date);
}
