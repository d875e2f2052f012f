/**
 * The command-line scan `npm run smoke`, `backup` and `restore` share: `--flag value` and
 * `--flag=value` for the flags that take a value, bare switches, `-h`/`--help`. Every problem is
 * collected (an unknown argument, a missing or repeated value), in the order of the arguments,
 * for the command to report with its own checks all at once.
 */
export interface ScannedFlags {
  /** `-h` or `--help` was given: nothing else was read. */
  readonly help: boolean;
  /** Flag (`--stack`) to its value. */
  readonly values: Readonly<Record<string, string>>;
  /** The switches given. */
  readonly switches: ReadonlySet<string>;
  /** The values of each repeatable flag (`accepted.repeatable`), in order; absent when not given. */
  readonly lists: Readonly<Record<string, readonly string[]>>;
  readonly errors: string[];
}

export function scanFlags(
  argv: readonly string[],
  accepted: {
    readonly withValue: readonly string[];
    readonly switches?: readonly string[];
    /** Flags among withValue that may be given more than once (their values in `lists`). */
    readonly repeatable?: readonly string[];
  },
): ScannedFlags {
  const errors: string[] = [];
  const values: Record<string, string> = {};
  const switches = new Set<string>();
  const lists: Record<string, string[]> = {};
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i] ?? "";
    if (raw === "-h" || raw === "--help") return { help: true, values: {}, switches: new Set(), lists: {}, errors: [] };
    if (accepted.switches?.includes(raw)) {
      switches.add(raw);
      continue;
    }
    const eq = raw.indexOf("=");
    const flag = eq > 0 ? raw.slice(0, eq) : raw;
    if (!accepted.withValue.includes(flag)) {
      errors.push(`unknown argument "${raw}"`);
      continue;
    }
    let value: string | undefined;
    if (eq > 0) value = raw.slice(eq + 1);
    else {
      const next = argv[i + 1];
      if (next !== undefined && !next.startsWith("--")) {
        value = next;
        i++;
      }
    }
    if (value === undefined || value === "") errors.push(`${flag} needs a value`);
    else if (accepted.repeatable?.includes(flag)) (lists[flag] ??= []).push(value);
    else if (values[flag] !== undefined) errors.push(`${flag} given twice`);
    else values[flag] = value;
  }
  return { help: false, values, switches, lists, errors };
}
