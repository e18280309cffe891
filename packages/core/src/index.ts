export * from "./email";
export * from "./glob";
export * from "./roles";
export * from "./random";
export * from "./wire";
export * from "./recommendations/index";
export * from "./analytics/index";
export * from "./client-address";
