/**
 * backup.schedule is checked at plan time as systemd would check OnCalendar=: the same
 * expressions accepted and refused as `systemd-analyze calendar` (when it is installed).
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { checkOnCalendar } from "../../infra/backup/on-calendar";
import { haveTool } from "../support/tools";

/** Expressions systemd 252 accepts (checked with systemd-analyze calendar). */
const ACCEPTED = [
  "*-*-* 02:30:00 UTC",
  "daily",
  "Daily",
  "hourly",
  "weekly",
  "monthly",
  "quarterly",
  "semiannually",
  "semi-annually",
  "annually",
  "yearly",
  "minutely",
  "weekly Europe/Berlin",
  "daily UTC",
  "Mon..Fri 09:00",
  "mon 9:0",
  "MON",
  "Monday",
  "Mon-Fri",
  "Mon,",
  "mon..wed,fri",
  "thursday,Fri..Sat",
  "Sat..Sun,Mon 1:00",
  "Mon,Wed *-*-* 2:30",
  "Mon..Fri *-*-* 02:30:00 UTC",
  "*-*-1/2 1:00",
  "*-02~03",
  "*~1",
  "*-*~01..03",
  "Fri *-*~7/1",
  "2026-11-30",
  "2026-02-30",
  "12-31",
  "12:00:00.5",
  "*-*-* 1:00:00.1234567",
  "*-*-* 00:00:59.999999",
  "*-*-* 1:00:01/5",
  "*-*-* 1:00:1.5/2.5",
  "*:0/15",
  "*:30",
  "*-*-* *:30",
  "*-*-* *:*:*",
  "0/3:00",
  "00..23/2:00",
  "*-*-1..5,10 2:00",
  "*-1..3-1",
  "1..5/2-*-*",
  "0001-1-1",
  "69-1-1",
  "70-1-1",
  "99-1-1",
  "1970-1-1",
  "2199-12-31",
  "*-*-*  02:30",
  "*-*-* 2:30:00 utc",
  "*-*-* 02:30:00 GMT",
  "*-*-* 02:30:00 Europe/Berlin",
  "*-*-* 02:30:00 Etc/UTC",
  "2026-*-* 1:00 America/New_York",
  "*-*-31 00:00",
  "@1700000000",
];

/** Expressions systemd 252 refuses. */
const REFUSED = [
  "",
  " daily",
  "daily ",
  "today",
  "now",
  "Mo",
  "Mon..",
  "Fri..Mon",
  "Mon..Tue..Wed",
  ",Mon",
  "Mon, Tue 1:00",
  "Mon 12:00 Mon",
  "Mon weekly",
  "2026-11-30T12:00",
  "*-*-* 02:30:00 UTC ",
  "*-*-* 02:30:00 Mars/Olympus",
  "*-*-* 02:30:00 europe/berlin",
  "*-*-* 02:30:00 +01:00",
  "*-*-* 01:02 DST",
  "*-*-* 1:00 UTC UTC",
  "25:00",
  "*-*-* 24:00",
  "*-*-* 02:60",
  "*-*-* 00:00:60",
  "*-0-1",
  "*-13-1",
  "*-*-0",
  "*-*-32",
  "*-*-29~1",
  "*/2:00",
  "*:*/15",
  "5..3:00",
  "*-*-1..31/0",
  "*-*-*/0",
  "1/0:00",
  "*-*-* 1:2:3:4",
  "1:2:3.",
  "1:2.5",
  "*-*-1~",
  "*-*-1,,2",
  "00",
  "1",
  "Mon 1",
  "*-*-1 1",
  "2026",
  "100-1-1",
  "2200-1-1",
  "02:30 *-*-*",
  "0 2 * * *",
  "*-*-* 02:30:00\nUTC",
];

describe("checkOnCalendar", () => {
  it.each(ACCEPTED)("accepts %j", (expr) => {
    expect(checkOnCalendar(expr)).toBeUndefined();
  });

  it.each(REFUSED)("refuses %j", (expr) => {
    expect(checkOnCalendar(expr)).toEqual(expect.any(String));
  });

  it("says what is wrong", () => {
    expect(checkOnCalendar("*-*-* 25:00")).toBe("an hour in 0–23");
    expect(checkOnCalendar("0 2 * * *")).toMatch(/a cron expression is not one: "0 2 \* \* \*" is "\*-\*-\* 02:00:00"/);
  });

  const systemd = haveTool("systemd-analyze", ["--version"]);
  it.skipIf(!systemd)("agrees with systemd-analyze calendar on every expression of the corpus", () => {
    const corpus = [...ACCEPTED, ...REFUSED];
    const disagreements = [
      ...disagreeing(
        corpus.filter((e) => checkOnCalendar(e) === undefined),
        true,
      ),
      ...disagreeing(
        corpus.filter((e) => checkOnCalendar(e) !== undefined),
        false,
      ),
    ].map((e) => `${JSON.stringify(e)}: systemd ${systemdAccepts(e) ? "accepts" : "refuses"} it`);
    expect(disagreements).toEqual([]);
  });
});

function systemdAnalyzeCalendar(exprs: readonly string[]) {
  return spawnSync("systemd-analyze", ["calendar", "--", ...exprs], {
    encoding: "utf8",
    env: { ...process.env, TZ: "UTC", SYSTEMD_COLORS: "0" },
  });
}

function systemdAccepts(expr: string): boolean {
  return systemdAnalyzeCalendar([expr]).status === 0;
}

/**
 * The expressions systemd judges otherwise than `accepted`, named one by one: one
 * `systemd-analyze calendar` call for the whole group (it reports every expression: a block with a
 * "Normalized form:" line for each one it parses, a "Failed to parse calendar specification" line
 * for each one it refuses); a group where it does not agree is split in halves, down to the
 * expressions that disagree, each judged by its own call's exit status.
 */
function disagreeing(exprs: readonly string[], accepted: boolean): string[] {
  if (exprs.length === 0) return [];
  if (exprs.length === 1) return systemdAccepts(exprs[0]) === accepted ? [] : [...exprs];
  const r = systemdAnalyzeCalendar(exprs);
  const parsed = r.stdout.split("Normalized form:").length - 1;
  const refused = r.stderr.split("Failed to parse calendar specification").length - 1;
  const agrees = accepted
    ? r.status === 0 && parsed === exprs.length
    : r.status !== 0 && parsed === 0 && refused === exprs.length;
  if (agrees) return [];
  const half = Math.ceil(exprs.length / 2);
  return [...disagreeing(exprs.slice(0, half), accepted), ...disagreeing(exprs.slice(half), accepted)];
}
