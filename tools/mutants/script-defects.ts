/**
 * Defects planted by hand where Stryker does not mutate: the shell scripts shipped to the host and
 * run by `npm run`, and resource options whose absence or presence no value in the code shows.
 * Each is something a user or an operator would suffer; `npm run mutants` plants each one in a
 * scratch copy of the repository, runs the named test files there, and expects them to fail.
 * docs/mutants.md lists them with why each matters.
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
    tests: ["test/plan/resource-options.test.ts", "test/runner/gitlab-runner.test.ts"],
  },
  {
    id: "local-up-without-stack",
    harm: "`npm run local:up` updates whichever stack is selected, not the local one",
    file: "tools/local-up.sh",
    find: '"${pulumi_cli[@]}" up --yes --stack local "$@"',
    replace: '"${pulumi_cli[@]}" up --yes "$@"',
    tests: ["test/tools/local-scripts.test.ts"],
  },
];
