/** What other modules may use of recommendations: its service's type (the instance comes from the runtime). */
export type { RecommendationService, WarmupStatus } from "./service";
