/**
 * A stream whose consumer may take its values as they are produced, in the producer's own
 * call, instead of iterating it. A live feed hands each event to hundreds of streams at
 * once: through async iterators every delivery costs each stream a promise, an iterator
 * result and a microtask hop per layer (the feed's stream, the procedure's mapping, the
 * SSE writer), and what they allocate is most of an instance's young garbage, whose
 * scavenges pause every delivery behind them. Pushed, a delivery is a function call.
 *
 * Still an AsyncIterable: tRPC's own handler (or any other consumer) iterates it as before.
 * A stream is consumed once, one way or the other.
 */
export const PUSH = Symbol("rapport.push");

/** Takes one value; false when the consumer is full: the stream holds the next ones until `resume`. */
export type PushSink<T> = (value: T) => boolean;

export interface PushHandle {
  /** Settles when the stream ends: resolves, or rejects with the error it ended with. */
  done: Promise<void>;
  /** The consumer has room again (its sink answered false before): what the stream held follows at once. */
  resume(): void;
}

export interface PushStream<T> extends AsyncIterable<T> {
  [PUSH](sink: PushSink<T>): PushHandle;
}

export function isPushStream(value: unknown): value is PushStream<unknown> {
  return (
    typeof value === "object" && value !== null && typeof (value as Partial<PushStream<unknown>>)[PUSH] === "function"
  );
}

/** The same stream with each value mapped, and the error it ends with mapped (either way it is consumed). */
export function mapPushStream<T, U>(
  source: PushStream<T>,
  map: (value: T) => U,
  mapError: (error: unknown) => unknown,
): PushStream<U> {
  return {
    [PUSH](sink) {
      const handle = source[PUSH]((value) => sink(map(value)));
      return {
        done: handle.done.catch((error: unknown) => {
          throw mapError(error);
        }),
        resume: handle.resume,
      };
    },
    async *[Symbol.asyncIterator]() {
      try {
        for await (const value of source) yield map(value);
      } catch (error) {
        throw mapError(error);
      }
    },
  };
}
