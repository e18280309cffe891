/** What other modules may use of recommendations: the shape of a warm-up's progress. */
export type { WarmupStatus } from "./service";
