/**
 * Numeric limits of a proxy project and the settings that would empty or block a pull-through cache
 * (docs/harbor.md#quotas-and-speed-limits, docs/harbor.md#retention). Pure: the configuration and
 * `HarborProxyCache` both apply them.
 */
import type { RetentionSettings } from "./retention";

/** Harbor multiplies the GiB quota by 2^30 into a signed 64-bit byte count. */
export const STORAGE_QUOTA_MAX_GIB = 2 ** 33 - 1;

/** -1 (unlimited) or a whole number from 1 to `max`; never a fraction the provider would round. */
export function limitProblem(
  value: number,
  unit: string,
  max: number = Number.MAX_SAFE_INTEGER,
): string | undefined {
  if (value === -1 || (Number.isSafeInteger(value) && value >= 1 && value <= max)) return undefined;
  return `${value} is not allowed: expected -1 (unlimited) or a whole number of ${unit} from 1 to ${max}`;
}

export function storageQuotaProblem(gib: number): string | undefined {
  return limitProblem(gib, "GiB", STORAGE_QUOTA_MAX_GIB);
}

export function proxySpeedProblem(kb: number): string | undefined {
  return limitProblem(kb, "KB/s");
}

/** Below Harbor's own proxy default (7 days) images pulled weekly (node scale-ups, CronJobs) fall out of the cache. */
const SHORT_RETENTION_DAYS = 7;

/** What a retention setting does to the cache when it is risky but legal. */
export function retentionWarnings(retention: RetentionSettings): string[] {
  if (retention.daysSinceLastPull >= SHORT_RETENTION_DAYS) return [];
  return [
    `daysSinceLastPull ${retention.daysSinceLastPull}: artifacts not pulled within ${retention.daysSinceLastPull} day(s) are deleted ` +
      `at every ${retention.schedule} run, so images pulled less often (weekly jobs, new nodes) are fetched from the upstream again; ` +
      `Harbor's own proxy default is ${SHORT_RETENTION_DAYS}`,
  ];
}

/** A full project quota rejects pulls and nothing is evicted. */
export function storageQuotaWarnings(registry: string, gib: number): string[] {
  if (gib === -1) return [];
  return [
    `upstream ${registry}: storageQuotaGiB ${gib}: once the cache holds ${gib} GiB Harbor rejects further pulls through it ` +
      "(a full quota evicts nothing); only retention frees space",
  ];
}
