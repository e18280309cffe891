export { CacheManager } from "./manager";
