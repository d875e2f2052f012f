/**
 * Defects planted by hand where Stryker does not mutate: the shell scripts shipped to the host and
 * run by `npm run`, and resource options whose absence or presence no value in the code shows.
 * Each is something a user or an operator would suffer; `npm run mutants` plants each one in a
 * scratch copy of the repository, runs the named test files there, and expects them to fail.
 * Each says what a user would suffer (`harm`); docs/commands.md describes the command.
 */
export interface PlantedDefect {
  /** A short name, printed. */
  readonly id: string;
  /** What a user would suffer. */
  readonly harm: string;
  /** The file, relative to the repository root. */
  readonly file: string;
  /** The exact text replaced (it must occur exactly once: a planted defect that misses its target is an error). */
  readonly find: string;
  readonly replace: string;
  /** The test files that must catch it (at least one must fail). */
  readonly tests: readonly string[];
}

export const PLANTED_DEFECTS: readonly PlantedDefect[] = [
  {
    id: "runner-registration-retained",
    harm: "`pulumi destroy` leaves the runner registered in GitLab (a stale runner, its token still valid)",
    file: "infra/runner/runner-registration.ts",
    find: "deleteBeforeReplace: true,",
    replace: "deleteBeforeReplace: true,\n        retainOnDelete: true,",
    tests: ["test/program/destroy-options.test.ts"],
  },
  {
    id: "local-up-without-stack",
    harm: "`npm run local:up` updates whichever stack is selected, not the local one",
    file: "tools/local-up.sh",
    find: '"${pulumi_cli[@]}" up --yes --stack local "$@"',
    replace: '"${pulumi_cli[@]}" up --yes "$@"',
    tests: ["test/tools/local-scripts.test.ts"],
  },
  {
    id: "backup-without-secrets",
    harm: "a restore loses CI variables, two-factor secrets and runner tokens: gitlab-secrets.json is not in the backup's /etc/gitlab archive",
    file: "infra/backup/scripts/gitlab-dind-backup.sh",
    find: '  if [ "$f" = config_backup ]; then continue; fi',
    replace: '  if [ "$f" = config_backup ] || [ "$f" = gitlab-secrets.json ]; then continue; fi',
    tests: ["test/backup/scripts.test.ts"],
  },
  {
    id: "restore-without-host-keys",
    harm: "after a rebuild and a restore every git-over-SSH client sees a changed host key",
    file: "infra/backup/scripts/gitlab-dind-restore.sh",
    find: "--anchored --exclude=gitlab.rb <",
    replace: "--anchored --exclude=gitlab.rb --exclude='ssh_host_*' <",
    tests: ["test/backup/scripts.test.ts"],
  },
  {
    id: "drill-takes-everything",
    harm: "a drill stack takes production's SSH host keys, Let's Encrypt account and gitlab.rb",
    file: "infra/backup/scripts/gitlab-dind-restore.sh",
    find: "tar -xzpf - -C /etc/gitlab gitlab-secrets.json <",
    replace: "tar -xzpf - -C /etc/gitlab <",
    tests: ["test/backup/scripts.test.ts"],
  },
  {
    id: "restore-without-reconfigure",
    harm: "the restored secrets and settings are not applied before the data comes back",
    file: "infra/backup/scripts/gitlab-dind-restore.sh",
    find: 'docker exec "$container" gitlab-ctl reconfigure\n',
    replace: "\n",
    tests: ["test/backup/scripts.test.ts"],
  },
];
