/** Harbor retention policy values (harbor.md §2.5, §3.3, §3.6). */

export interface RetentionSettings {
  readonly daysSinceLastPull: number;
  /** `Hourly`, `Daily`, `Weekly` or a 6-field cron (seconds first). */
  readonly schedule: string;
}

/**
 * What Harbor does silently for every new proxy project (`defaultDaysToRetentionForProxyCacheProject`,
 * harbor.md §3.3); declared explicitly so the behaviour is visible in code and plans.
 */
export const HARBOR_DEFAULT_PROXY_RETENTION: RetentionSettings = { daysSinceLastPull: 7, schedule: "Daily" };

/** Schedules Harbor reads back by name (capitalised). */
const NAMED_SCHEDULES = ["Hourly", "Daily", "Weekly"] as const;
/** One cron field: `*`, `?`, a value, range or name, an optional step; comma lists of those. */
const CRON_FIELD =
  /^(?:\*|\?|[0-9A-Za-z]+(?:-[0-9A-Za-z]+)?)(?:\/\d+)?(?:,(?:\*|[0-9A-Za-z]+(?:-[0-9A-Za-z]+)?)(?:\/\d+)?)*$/;
const CRON_FIELD_COUNT = 6;

export function retentionScheduleProblem(schedule: string): string | undefined {
  if ((NAMED_SCHEDULES as readonly string[]).includes(schedule)) return undefined;
  const allowed = `allowed: ${NAMED_SCHEDULES.join(", ")} or a 6-field cron with seconds first, e.g. "0 0 3 * * *"`;
  const named = NAMED_SCHEDULES.find((name) => name.toLowerCase() === schedule.toLowerCase());
  if (named) {
    return `must be written ${JSON.stringify(named)}: Harbor reads it back capitalised, so other spellings cause a permanent plan diff (harbor.md §3.6)`;
  }
  const fields = schedule.trim().split(/\s+/);
  if (fields.length !== CRON_FIELD_COUNT) {
    return `has ${fields.length} field(s); ${allowed}`;
  }
  const bad = fields.find((field) => !CRON_FIELD.test(field));
  return bad === undefined ? undefined : `has an invalid cron field ${JSON.stringify(bad)}; ${allowed}`;
}

export function retentionDaysProblem(days: number): string | undefined {
  if (Number.isInteger(days) && days >= 1) return undefined;
  return `daysSinceLastPull ${days} is not allowed: expected a whole number of days, at least 1`;
}
