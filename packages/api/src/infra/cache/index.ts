export { CACHE_CONSUMER_NAME, CacheManager } from "./manager";
