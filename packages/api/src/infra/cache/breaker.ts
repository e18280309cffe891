/**
 * A circuit breaker: after `failureThreshold` consecutive failures it opens and
 * refuses calls for `cooldownMs`; then one trial call is let through
 * (half-open) and its outcome closes or re-opens the circuit.
 */
export type BreakerState = "closed" | "open" | "half-open";

export class CircuitBreaker {
  state: BreakerState = "closed";
  private failures = 0;
  private openedAt = 0;
  private trialInFlight = false;

  constructor(
    private readonly failureThreshold: number,
    private readonly cooldownMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether a call may go out now (a half-open circuit admits one trial at a time). */
  allow(): boolean {
    if (this.state === "closed") return true;
    if (this.state === "open") {
      if (this.now() - this.openedAt < this.cooldownMs) return false;
      this.state = "half-open";
      this.trialInFlight = false;
    }
    if (this.trialInFlight) return false;
    this.trialInFlight = true;
    return true;
  }

  /** Returns true when this success closed a circuit that was not closed. */
  success(): boolean {
    const recovered = this.state !== "closed";
    this.state = "closed";
    this.failures = 0;
    this.trialInFlight = false;
    return recovered;
  }

  /** Returns true when this failure opened the circuit. */
  failure(): boolean {
    this.failures++;
    this.trialInFlight = false;
    if (this.state === "half-open" || (this.state === "closed" && this.failures >= this.failureThreshold)) {
      const opened = this.state === "closed";
      this.state = "open";
      this.openedAt = this.now();
      return opened;
    }
    return false;
  }

  /** Lets the next call through as a trial now, without waiting for the rest of the cool-down. */
  probeNow(): void {
    if (this.state !== "open") return;
    this.state = "half-open";
    this.trialInFlight = false;
  }

  /** Opens at once (e.g. Redis not answering at start-up). */
  trip(): boolean {
    const opened = this.state === "closed";
    this.state = "open";
    this.openedAt = this.now();
    this.trialInFlight = false;
    return opened;
  }
}
