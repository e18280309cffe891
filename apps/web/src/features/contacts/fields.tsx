/** "a, b;c" → ["a", "b", "c"] */
export function splitTags(text: string, separator: RegExp = /[,;]/): string[] {
  return text
    .split(separator)
    .map((tag) => tag.trim())
    .filter(Boolean);
}
