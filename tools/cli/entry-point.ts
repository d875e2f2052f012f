/**
 * The process wrapper of the commands that take their arguments and return an exit code (plan,
 * policy, e2e; smoke injects its whole process, upgrade-path is synchronous): when the command's
 * file is the process's entry point (`npm run <command>`), run its `cli(argv)` on the process's
 * arguments and exit with the code it returns. When the file is imported (the tests call `cli`
 * in-process), nothing runs.
 */
export function runAsEntryPoint(mod: NodeModule, cli: (argv: string[]) => Promise<number>): void {
  if (require.main !== mod) return;
  void cli(process.argv.slice(2)).then((code) => process.exit(code));
}
