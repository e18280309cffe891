export * from "./definitions";
export * from "./compute";
