/** Harbor retention policy values (docs/harbor.md#retention). */
import { docs } from "../registries/docs";

export interface RetentionSettings {
  readonly daysSinceLastPull: number;
  /** `Hourly`, `Daily`, `Weekly` or a 6-field cron (seconds first). */
  readonly schedule: string;
}

/**
 * What Harbor does silently for every new proxy project (`defaultDaysToRetentionForProxyCacheProject`);
 * declared explicitly so the behaviour is visible in code and plans.
 */
export const HARBOR_DEFAULT_PROXY_RETENTION: RetentionSettings = { daysSinceLastPull: 7, schedule: "Daily" };

/** Schedules Harbor reads back by name (capitalised). */
const NAMED_SCHEDULES = ["Hourly", "Daily", "Weekly"] as const;

interface CronField {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  /** Names standing for min, min+1, … (months, weekdays), case-insensitive. */
  readonly names?: readonly string[];
  /** `?` ("no specific value") is allowed in the day fields only. */
  readonly question?: boolean;
}

/** Harbor's scheduler reads 6-field cron with seconds first (robfig/cron), with these ranges. */
const CRON_FIELDS: readonly CronField[] = [
  { name: "second", min: 0, max: 59 },
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31, question: true },
  {
    name: "month",
    min: 1,
    max: 12,
    names: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"],
  },
  {
    name: "day of week",
    min: 0,
    max: 6,
    names: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"],
    question: true,
  },
];

export function retentionScheduleProblem(schedule: string): string | undefined {
  if ((NAMED_SCHEDULES as readonly string[]).includes(schedule)) return undefined;
  const allowed = `allowed: ${NAMED_SCHEDULES.join(", ")} or a 6-field cron with seconds first, e.g. "0 0 3 * * *"`;
  const named = NAMED_SCHEDULES.find((name) => name.toLowerCase() === schedule.toLowerCase());
  if (named) {
    return `must be written ${JSON.stringify(named)}: Harbor reads it back capitalised, so other spellings cause a permanent plan diff (${docs("harbor.md#schedule-spelling")})`;
  }
  const fields = schedule.trim().split(/\s+/);
  if (fields.length !== CRON_FIELDS.length) {
    return `has ${fields.length} field(s); ${allowed}`;
  }
  for (const [index, text] of fields.entries()) {
    const field = CRON_FIELDS[index];
    if (!cronFieldValid(text, field)) {
      const names = field.names ? ` or ${field.names[0]}–${field.names[field.names.length - 1]}` : "";
      return `has an invalid cron field ${JSON.stringify(text)} (${field.name}: ${field.min}–${field.max}${names}, \`*\`, ranges a-b, steps /n, lists a,b); ${allowed}`;
    }
  }
  return undefined;
}

/** `*`, `?` (day fields), a value, a range a-b (a ≤ b), each with an optional step /n (n ≥ 1); comma lists. */
function cronFieldValid(text: string, field: CronField): boolean {
  return text.split(",").every((part) => {
    const [range, step, ...rest] = part.split("/");
    if (rest.length > 0 || (step !== undefined && !(/^[0-9]+$/.test(step) && Number(step) >= 1)))
      return false;
    if (range === "*" || (range === "?" && field.question)) return true;
    const bounds = range.split("-").map((bound) => cronValue(bound, field));
    if (bounds.length > 2 || bounds.some((bound) => bound === undefined)) return false;
    return bounds.length === 1 || bounds[0]! <= bounds[1]!;
  });
}

function cronValue(text: string, field: CronField): number | undefined {
  const named = field.names?.indexOf(text.toUpperCase()) ?? -1;
  if (named >= 0) return field.min + named;
  if (!/^[0-9]{1,2}$/.test(text)) return undefined;
  const value = Number(text);
  return value >= field.min && value <= field.max ? value : undefined;
}

/** A century already means "keep forever"; the bound catches typos such as 70000 for 7. */
export const RETENTION_DAYS_MAX = 36500;

export function retentionDaysProblem(days: number): string | undefined {
  if (Number.isInteger(days) && days >= 1 && days <= RETENTION_DAYS_MAX) return undefined;
  return `daysSinceLastPull ${days} is not allowed: expected a whole number of days from 1 to ${RETENTION_DAYS_MAX}`;
}
