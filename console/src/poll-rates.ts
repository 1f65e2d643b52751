/**
 * How often open pages ask the API again, in one place for bench/cost.ts to price.
 *
 * How often an open event feed asks for events newer than the last one seen: one short request
 * each (the follow endpoint with no wait), none while the tab is hidden. A long poll held open
 * instead would keep an API function running for every open console. bench/cost.ts prices it.
 */
export const EVENT_POLL_MS = 10_000;

/**
 * How often a cluster's page reads the cluster again when its event feed brought nothing: every
 * change worth seeing is an event, and news in the feed reads it at once. Each read is four API
 * requests (the cluster, its conditions, nodes and services).
 */
export const CLUSTER_PAGE_REFRESH_MS = 60_000;
/**
 * After news (or, for a feed, after opening it) pages ask every BRISK_POLL_MS for this long:
 * what follows comes soon. A steady cluster has little news.
 */
export const BRISK_AFTER_NEWS_MS = 30_000;
/** How often a feed asks while brisk: the follow endpoint holds back its newest 2 s anyway. */
export const BRISK_POLL_MS = 2_000;
/** How often usage charts read again: samples are a minute apart. */
export const USAGE_REFRESH_MS = 30_000;
