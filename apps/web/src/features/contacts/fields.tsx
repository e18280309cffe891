/** "a, b;c" → ["a", "b", "c"] */
export function splitTags(text: string, separator: RegExp = /[,;]/): string[] {
  return text
    .split(separator)
    .map((tag) => tag.trim())
    .filter(Boolean);
}

export const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });
export const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
