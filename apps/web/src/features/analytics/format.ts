const money = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", maximumFractionDigits: 2 });
const moneyWhole = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", maximumFractionDigits: 0 });
const number = new Intl.NumberFormat("en-US", { maximumFractionDigits: 1 });
const integer = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const dayFormat = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric" });
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

export const formatMoney = (dollars: number) => money.format(dollars);
/** $1,234 (no cents) for large figures on cards and axes. */
export const formatMoneyShort = (dollars: number) =>
  Math.abs(dollars) >= 1_000 ? moneyWhole.format(dollars) : money.format(dollars);
export const formatNumber = (value: number) => number.format(value);
export const formatInteger = (value: number) => integer.format(value);
export const formatDay = (value: Date) => dayFormat.format(value);
export const formatDateTime = (value: Date) => dateTime.format(value);

export function percentOf(part: number, whole: number): string {
  if (whole === 0) return "0%";
  return `${Math.round((part / whole) * 100)}%`;
}

export type Direction = "up" | "down" | "flat";

/** A change, spelled out for everyone (the arrow and colour only repeat it). */
export function describeChange(
  current: number,
  previous: number | null,
  format: (value: number) => string,
): { text: string; direction: Direction } {
  if (previous === null) return { text: "no data for the previous 30 days", direction: "flat" };
  const delta = current - previous;
  if (Math.abs(delta) < 1e-9) return { text: "no change vs the previous 30 days", direction: "flat" };
  const sign = delta > 0 ? "+" : "−";
  return { text: `${sign}${format(Math.abs(delta))} vs the previous 30 days`, direction: delta > 0 ? "up" : "down" };
}
