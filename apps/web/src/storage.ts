/**
 * One entry of the browser's storage, where storage may be disabled (private modes, sandboxed
 * frames: reaching `localStorage` itself throws): a read then finds nothing, a write is lost.
 */
export function readStored(storage: () => Storage, key: string): string | null {
  try {
    return storage().getItem(key);
  } catch {
    return null;
  }
}

/** Stores `value` under `key`, or removes the entry when it is null. */
export function writeStored(storage: () => Storage, key: string, value: string | null): void {
  try {
    if (value === null) storage().removeItem(key);
    else storage().setItem(key, value);
  } catch {
    // Storage disabled: the value lasts as long as the page.
  }
}
