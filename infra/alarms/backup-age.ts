/**
 * The backup-freshness alarm's threshold, from `backup.schedule`: the host publishes, every hour,
 * the hours since the backup service last succeeded (infra/alarms/scripts); the alarm fires when
 * that exceeds the schedule's longest gap between two runs plus a margin.
 */
import { longestGapSeconds } from "../backup/on-calendar";

/**
 * Hours added to the longest gap: a backup takes time (a larger GitLab takes hours, and the age is
 * counted from when the last one finished), and the age is published once an hour.
 */
export const BACKUP_AGE_MARGIN_HOURS = 6;
/** Beyond this gap a failing backup goes unnoticed for over a week: the stack warns. */
export const MAX_BACKUP_GAP_HOURS = 7 * 24;

/** The schedule's longest gap in whole hours (rounded up); undefined when it does not repeat. */
export function backupGapHours(schedule: string): number | undefined {
  const seconds = longestGapSeconds(schedule);
  return seconds === undefined ? undefined : Math.ceil(seconds / 3600);
}

/** The alarm's threshold in hours; undefined when the schedule does not repeat. */
export function backupAgeThresholdHours(schedule: string): number | undefined {
  const gap = backupGapHours(schedule);
  return gap === undefined ? undefined : gap + BACKUP_AGE_MARGIN_HOURS;
}
