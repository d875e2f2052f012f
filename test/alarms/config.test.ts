/**
 * The alerts.* keys (issue 25): defaults, every bad value refused at once naming the full key, no
 * addresses on the local target; the backup schedule's longest gap behind the freshness alarm and
 * the warnings the alarms raise.
 */
import { describe, expect, it } from "vitest";
import { backupAgeThresholdHours, backupGapHours } from "../../infra/alarms/backup-age";
import { parseStackConfig, type RawConfig } from "../../infra/config/parse";
import { recoverActionSupported, instanceTypeFacts } from "../../infra/config/instance-types";
import { alarmWarnings } from "../../infra/config/warnings";

const AWS: RawConfig = {
  "aws:region": "eu-central-1",
  "gitlab-dind:team": "payments",
  "gitlab-dind:network": { adminCidrs: ["203.0.113.0/24"] },
};

function parse(values: RawConfig) {
  return parseStackConfig({ values, secretKeys: new Set() });
}

function problems(values: RawConfig): string[] {
  const r = parse(values);
  if (r.ok) throw new Error("expected the configuration to be refused");
  return [...r.problems];
}

describe("alerts.* configuration", () => {
  it("defaults: no addresses, 85 percent", () => {
    const r = parse(AWS);
    if (!r.ok) throw new Error(r.problems.join("\n"));
    expect(r.config.alerts).toEqual({ email: [], diskPercent: 85 });
  });

  it("takes addresses and a threshold within 50–99", () => {
    const r = parse({
      ...AWS,
      "gitlab-dind:alerts": { email: ["ops@example.com", "a.b+gitlab@team.example.org"], diskPercent: 90 },
    });
    if (!r.ok) throw new Error(r.problems.join("\n"));
    expect(r.config.alerts).toEqual({ email: ["ops@example.com", "a.b+gitlab@team.example.org"], diskPercent: 90 });
  });

  it("refuses every bad value at once, each naming its full key", () => {
    const p = problems({
      ...AWS,
      "gitlab-dind:alerts": {
        email: ["Ops <ops@example.com>", "ops@localhost", "ops@@example.com", "ops@example.com", "OPS@example.com"],
        diskPercent: 100,
      },
    });
    const email = p.filter((x) => x.startsWith("gitlab-dind:alerts.email"));
    expect(email.join("\n")).toMatch(/Ops <ops@example.com>/);
    expect(email.join("\n")).toMatch(/ops@localhost/);
    expect(email.join("\n")).toMatch(/ops@@example.com/);
    expect(p.some((x) => x.startsWith("gitlab-dind:alerts.diskPercent") && /100/.test(x))).toBe(true);
    expect(
      problems({ ...AWS, "gitlab-dind:alerts": { email: ["ops@example.com", "OPS@example.com"] } }).join("\n"),
    ).toMatch(/gitlab-dind:alerts.email.*listed twice/);
    expect(problems({ ...AWS, "gitlab-dind:alerts": { diskPercent: 49 } }).join("\n")).toMatch(
      /gitlab-dind:alerts.diskPercent/,
    );
  });

  it("refuses addresses on the local target, naming the key", () => {
    const p = problems({
      "gitlab-dind:team": "laptop",
      "gitlab-dind:target": "local",
      "gitlab-dind:alerts": { email: ["ops@example.com"] },
    });
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/^gitlab-dind:alerts\.email: .*local target/);
  });
});

describe("the backup schedule's longest gap", () => {
  it.each([
    ["*-*-* 02:30:00 UTC", 24],
    ["daily", 24],
    ["Mon..Fri 03:00", 72],
    ["Sat,Sun 04:00", 144],
    ["weekly", 168],
    ["*-*-* 00/6:00:00", 6],
    ["hourly", 1],
    ["monthly", 31 * 24],
    ["*-*~1 00:00", 31 * 24],
    // A daylight-saving change can stretch a day by an hour.
    ["*-*-* 02:30 Europe/Berlin", 25],
  ])("%s: %i hours", (schedule, hours) => {
    expect(backupGapHours(schedule)).toBe(hours);
    expect(backupAgeThresholdHours(schedule)).toBe(hours + 6);
  });

  it("has none for a schedule that does not repeat", () => {
    expect(backupGapHours("@1700000000")).toBeUndefined();
    expect(backupGapHours("2026-03-01 00:00")).toBeUndefined();
  });
});

describe("the alarms' warnings", () => {
  const config = (values: RawConfig) => {
    const r = parse({ ...AWS, ...values });
    if (!r.ok) throw new Error(r.problems.join("\n"));
    return r.config;
  };

  it("none for the defaults", () => {
    expect(alarmWarnings(config({}))).toEqual([]);
  });

  it("email: AWS asks each address to confirm", () => {
    const w = alarmWarnings(config({ "gitlab-dind:alerts": { email: ["ops@example.com"] } }));
    expect(w).toHaveLength(1);
    expect(w[0]).toMatch(/^gitlab-dind:alerts\.email: .*ops@example\.com.*confirmation/);
  });

  it("a schedule with gaps over 7 days, or none, warns naming backup.schedule; off, no word", () => {
    const monthly = alarmWarnings(config({ "gitlab-dind:backup": { schedule: "monthly" } }));
    expect(monthly).toHaveLength(1);
    expect(monthly[0]).toMatch(/^gitlab-dind:backup\.schedule "monthly" leaves up to 744 hours .*750 hours/);
    expect(alarmWarnings(config({ "gitlab-dind:backup": { schedule: "weekly" } }))).toEqual([]);
    expect(alarmWarnings(config({ "gitlab-dind:backup": { schedule: "2026-03-01 00:00" } }))[0]).toMatch(
      /does not repeat regularly/,
    );
    expect(alarmWarnings(config({ "gitlab-dind:backup": { enabled: false, schedule: "monthly" } }))).toEqual([]);
  });
});

describe("the recover action column of the instance-type table", () => {
  it("is true for EBS-only virtual types of the table, false for metal and types outside it", () => {
    for (const t of ["m7i.xlarge", "m5.large", "c6a.2xlarge", "r7i.4xlarge", "t3.medium", "t2.micro"]) {
      expect(recoverActionSupported(t), t).toBe(true);
      expect(instanceTypeFacts(t), t).toBeDefined();
    }
    for (const t of ["m6i.metal", "c5.metal", "m5d.xlarge", "i4i.large", "x2iedn.xlarge", "nonsense"]) {
      expect(recoverActionSupported(t), t).toBe(false);
    }
  });
});
