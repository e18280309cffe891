/**
 * Polls `probe` until it returns a truthy value. Events reach consumers only once every older
 * transaction on the Postgres server has ended, so parallel test files can hold deliveries back
 * for seconds: the default bound is generous.
 */
export async function until<T>(
  what: string,
  probe: () => Promise<T | null | undefined | false>,
  timeoutMs = 45_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Reads until `accept` holds for what was read (which may be falsy, e.g. null), and returns that. */
export async function untilAccepted<T>(
  what: string,
  read: () => Promise<T> | T,
  accept: (value: T) => boolean,
  timeoutMs?: number,
): Promise<T> {
  const found = await until(
    what,
    async () => {
      const value = await read();
      return accept(value) ? { value } : null;
    },
    timeoutMs,
  );
  return found.value;
}
