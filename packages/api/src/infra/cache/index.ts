export { CacheManager, CACHE_CONSUMER_NAME, type CacheSettings, type CacheResult, type CacheSource, type CacheHealth } from "./manager";
export { CacheUnavailableError } from "./redis";
export { DATA_NAMESPACES, type CacheNamespace } from "./keys";
