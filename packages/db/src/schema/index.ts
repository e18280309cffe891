export * from "./accounts";
export * from "./workspaces";
export * from "./contacts";
export * from "./interactions";
export * from "./events";
export * from "./audit";
export * from "./analytics";
