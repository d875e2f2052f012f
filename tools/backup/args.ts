/**
 * Command lines of `npm run backup` and `npm run restore`, parsed once; every problem at once.
 */
import { scanFlags } from "../cli/scan-flags";

export type Command = "backup" | "restore";

export interface BackupArgs {
  readonly command: Command;
  readonly stack: string;
  /** restore: the backup to restore; undefined lists the backups. */
  readonly backup: string | undefined;
  /** restore: do not ask for confirmation. */
  readonly yes: boolean;
  /** restore: read the backups another team's stack made into the same bucket (a restore drill). */
  readonly fromTeam: string | undefined;
}

export type ParseResult =
  | { readonly ok: true; readonly args: BackupArgs }
  | { readonly ok: false; readonly help: boolean; readonly errors: readonly string[] };

export const USAGE: Readonly<Record<Command, string>> = {
  backup: "usage: npm run backup -- --stack <name>",
  restore: "usage: npm run restore -- --stack <name> [--backup <id>] [--yes] [--from-team <team>]",
};

export const HELP: Readonly<Record<Command, string>> = {
  backup: `${USAGE.backup}

Takes a GitLab backup now and prints where it went: on an aws stack the host runs its backup
service (through SSM Run Command) and uploads to the stack's bucket; on the local target the
backup goes to backup.localDir through the Docker daemon.`,
  restore: `${USAGE.restore}

Without --backup: lists the stack's backups. With --backup <id>: restores that backup into the
stack's running GitLab, which must run the backup's GitLab version (asks first unless --yes).
--from-team is refused: another stack's backups are restored from a drill stack (backup.restoreFrom).`,
};

const BACKUP_ID = /^\d{8}T\d{6}Z_\d+\.\d+\.\d+$/;
const TEAM = /^[a-z][a-z0-9-]{1,20}$/;

export function parseArgs(command: Command, argv: readonly string[]): ParseResult {
  const scanned = scanFlags(argv, {
    withValue: command === "restore" ? ["--stack", "--backup", "--from-team"] : ["--stack"],
    switches: command === "restore" ? ["--yes"] : [],
  });
  if (scanned.help) return { ok: false, help: true, errors: [] };
  const { values, errors } = scanned;
  const yes = scanned.switches.has("--yes");
  const stack = values["--stack"];
  if (stack === undefined) errors.push("--stack <name> is required (the stack whose GitLab to back up or restore)");
  const backup = values["--backup"];
  if (backup !== undefined && !BACKUP_ID.test(backup))
    errors.push(`--backup expects a backup id such as 20261130T023000Z_19.3.0 (as the list shows); got "${backup}"`);
  const fromTeam = values["--from-team"];
  if (fromTeam !== undefined && !TEAM.test(fromTeam)) errors.push(`--from-team expects a team name; got "${fromTeam}"`);
  if (errors.length > 0 || stack === undefined) return { ok: false, help: false, errors };
  return { ok: true, args: { command, stack, backup, yes, fromTeam } };
}
