export * from "./graph";
export * from "./score";
