/**
 * The systemd units the host gets, read by systemd itself (`systemd-analyze verify`): the timer
 * with the configured OnCalendar= and the backup service.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { renderServiceUnit, renderTimerUnit } from "../../infra/backup/host-files";
import { haveTool } from "../support/tools";

const systemd = haveTool("systemd-analyze", ["--version"]);

function verify(timer: string): { status: number; problems: string[] } {
  const dir = mkdtempSync(join(tmpdir(), "gitlab-dind-units-"));
  try {
    writeFileSync(join(dir, "gitlab-dind-backup.timer"), timer);
    writeFileSync(join(dir, "gitlab-dind-backup.service"), renderServiceUnit());
    const r = spawnSync(
      "systemd-analyze",
      // The timer only: systemd then reads the service next to it without requiring that its
      // ExecStart exists here (the script is installed on the host). Problems in it still show.
      ["verify", join(dir, "gitlab-dind-backup.timer")],
      { encoding: "utf8", env: { ...process.env, SYSTEMD_COLORS: "0" } },
    );
    // This machine has no docker.service and may have no sysinit.target: not the units' fault.
    const problems = `${r.stdout}${r.stderr}`.split("\n").filter(
      (l) =>
        l.trim() !== "" &&
        !/Unit (docker\.service|sysinit\.target|network-online\.target) not found/.test(l) &&
        // The script itself is installed on the host, not on this machine.
        !/Command \/usr\/local\/sbin\/gitlab-dind-backup is not executable/.test(l),
    );
    return { status: r.status ?? -1, problems };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("the backup timer and service", () => {
  it("run on the schedule, catching up after downtime", () => {
    expect(renderTimerUnit("*-*-* 02:30:00 UTC")).toBe(
      [
        "[Unit]",
        "Description=Scheduled GitLab backup (gitlab-dind)",
        "",
        "[Timer]",
        "OnCalendar=*-*-* 02:30:00 UTC",
        "Persistent=true",
        "Unit=gitlab-dind-backup.service",
        "",
        "[Install]",
        "WantedBy=timers.target",
        "",
      ].join("\n"),
    );
    expect(() => renderTimerUnit("daily\nExecStart=/bin/sh")).toThrow(/cannot be written on one line/);
  });

  it.skipIf(!systemd).each(["*-*-* 02:30:00 UTC", "Mon..Fri *-*-* 03:15:00 Europe/Berlin", "weekly"])(
    "systemd-analyze verify accepts them with OnCalendar=%s",
    (schedule) => {
      const r = verify(renderTimerUnit(schedule));
      expect(r.problems).toEqual([]);
      expect(r.status).toBe(0);
    },
  );

  it.skipIf(!systemd)("systemd-analyze verify refuses a timer with a schedule the config check refuses too", () => {
    const r = verify(renderTimerUnit("*-*-* 25:00"));
    expect(r.status).not.toBe(0);
    expect(r.problems.join("\n")).toMatch(/Failed to parse calendar specification/);
  });
});
