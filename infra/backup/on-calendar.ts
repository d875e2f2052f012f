/**
 * A check of systemd `OnCalendar=` expressions (systemd.time(7), "Calendar Events"), so that a bad
 * `backup.schedule` is refused at plan time, naming the key, instead of by the host's systemd
 * when the timer is installed (where nobody would see it).
 *
 * It follows the grammar of systemd's calendar parser (src/shared/calendarspec.c, systemd 252, the
 * version on Amazon Linux 2023) rule for rule: shorthands (`daily`, `weekly`, … case-insensitive),
 * weekday lists and ranges (`Mon..Fri`, `Sat,Sun`, the old `Mon-Fri`), `[[YEAR-]MONTH-DAY]` and
 * `HOUR:MINUTE[:SECOND]` with `*`, lists (`1,15`), ranges (`1..5`), repetitions (`0/15`, `1..23/2`),
 * the last-days-of-month `~`, fractional seconds, `@<epoch seconds>`, and a time zone suffix
 * (` UTC`, or an IANA name such as `Europe/Berlin`). The test suite compares it with
 * `systemd-analyze calendar` on a corpus of expressions.
 */

const MIN_YEAR = 1970;
const MAX_YEAR = 2199;
const USEC_PER_SEC = 1_000_000;
const INT_MAX = 2 ** 31 - 1;
/** systemd's bound on the length of one component's list. */
const COMPONENTS_MAX = 240;

/** One element of a component list: `start[..stop][/repeat]`; stop -1 when there is no range. */
interface Component {
  start: number;
  stop: number;
  repeat: number;
}

/** A component list; `undefined` is `*` (any value). */
type Chain = Component[] | undefined;

interface Spec {
  weekdays: number;
  endOfMonth: boolean;
  year: Chain;
  month: Chain;
  day: Chain;
  hour: Chain;
  minute: Chain;
  second: Chain;
}

class CalendarError extends Error {}

const SHORTHANDS: Readonly<Record<string, Partial<Spec>>> = (() => {
  const c = (...values: number[]): Component[] => values.map((v) => ({ start: v, stop: -1, repeat: 0 }));
  const midnight = { hour: c(0), minute: c(0), second: c(0) };
  return {
    minutely: { second: c(0) },
    hourly: { minute: c(0), second: c(0) },
    daily: midnight,
    monthly: { day: c(1), ...midnight },
    annually: { month: c(1), day: c(1), ...midnight },
    yearly: { month: c(1), day: c(1), ...midnight },
    anually: { month: c(1), day: c(1), ...midnight },
    weekly: { weekdays: 1, ...midnight },
    quarterly: { month: c(1, 4, 7, 10), day: c(1), ...midnight },
    biannually: { month: c(1, 7), day: c(1), ...midnight },
    "bi-annually": { month: c(1, 7), day: c(1), ...midnight },
    semiannually: { month: c(1, 7), day: c(1), ...midnight },
    "semi-annually": { month: c(1, 7), day: c(1), ...midnight },
  };
})();

const WEEKDAYS: ReadonlyArray<readonly [string, number]> = [
  ["monday", 0],
  ["mon", 0],
  ["tuesday", 1],
  ["tue", 1],
  ["wednesday", 2],
  ["wed", 2],
  ["thursday", 3],
  ["thu", 3],
  ["friday", 4],
  ["fri", 4],
  ["saturday", 5],
  ["sat", 5],
  ["sunday", 6],
  ["sun", 6],
];

/** What `validTimeZone` accepts: an IANA zone name as the tz database spells it (case matters on disk). */
export function validTimeZone(name: string): boolean {
  if (!/^[A-Za-z0-9_+-]+(\/[A-Za-z0-9_+-]+)*$/.test(name)) return false;
  // The tz database's names start each part with an upper-case letter ("Europe/Berlin", "GMT",
  // "EST5EDT", "Etc/GMT+1"); systemd looks the file up by name, so "europe/berlin" is not found.
  if (!name.split("/").every((part) => /^[A-Z]/.test(part))) return false;
  try {
    new Intl.DateTimeFormat("en", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/**
 * Undefined when systemd accepts `text` as an `OnCalendar=` value, else what is wrong with it,
 * as a phrase that follows "expected a systemd OnCalendar expression …".
 */
export function checkOnCalendar(text: string): string | undefined {
  try {
    parseCalendar(text);
    return undefined;
  } catch (error) {
    if (!(error instanceof CalendarError)) throw error;
    // A cron line is the most likely mistake: say how systemd writes it.
    return /^[\d*/,-]+( [\d*/,-]+){4}$/.test(text.trim())
      ? `${error.message} (a cron expression is not one: "0 2 * * *" is "*-*-* 02:00:00" in systemd)`
      : error.message;
  }
}

function parseCalendar(input: string): Spec & { zone: string | undefined } {
  let p = input;
  let zone: string | undefined;
  if (/[\n\r\t]/.test(p)) throw new CalendarError("on one line, without tabs");
  if (p.toLowerCase().endsWith(" utc")) {
    p = p.slice(0, -4);
    zone = "UTC";
  } else {
    const lastSpace = p.lastIndexOf(" ");
    if (lastSpace >= 0 && validTimeZone(p.slice(lastSpace + 1))) {
      zone = p.slice(lastSpace + 1);
      p = p.slice(0, lastSpace);
    }
  }
  if (p === "") throw new CalendarError("a date, time or shorthand before the time zone");

  const shorthand = SHORTHANDS[p.toLowerCase()];
  const spec: Spec = {
    weekdays: 0,
    endOfMonth: false,
    year: undefined,
    month: undefined,
    day: undefined,
    hour: undefined,
    minute: undefined,
    second: undefined,
  };
  if (shorthand !== undefined) {
    Object.assign(spec, shorthand);
  } else {
    const cursor = { s: p };
    parseWeekdays(cursor, spec);
    const finished = parseDate(cursor, spec);
    if (!finished) parseTime(cursor, spec);
    if (cursor.s !== "") throw new CalendarError(`nothing after the time; "${cursor.s}" is left over`);
  }
  validate(spec);
  return { ...spec, zone };
}

/** Every value of a component list within `from`–`to` (`*`: all of them). */
function expand(chain: Chain, from: number, to: number): number[] {
  if (chain === undefined) return Array.from({ length: to - from + 1 }, (_, i) => from + i);
  const out = new Set<number>();
  for (const c of chain) {
    const stop = c.stop >= 0 ? c.stop : c.repeat > 0 ? to : c.start;
    for (let v = c.start; v <= Math.min(stop, to); v += c.repeat > 0 ? c.repeat : to + 1) if (v >= from) out.add(v);
  }
  return [...out].sort((a, b) => a - b);
}

const SECONDS_PER_DAY = 86_400;
/** Days the gap search walks: 28 years, the cycle after which weekdays and dates repeat (within a century). */
const GAP_SEARCH_DAYS = 28 * 366;

/**
 * The longest time, in seconds, between two consecutive elapses of an `OnCalendar=` expression,
 * from 2026-01-01 over 28 years of wall-clock time (whole seconds). A named time zone other than
 * UTC adds an hour (a daylight-saving change can stretch one gap by that much; an expression
 * without a zone runs in the host's zone, UTC on the AWS host). `undefined` when the expression
 * elapses fewer than twice in that span (a one-off `@…` or a past year): there is no regular gap.
 * Throws on an expression `checkOnCalendar` refuses.
 */
export function longestGapSeconds(text: string): number | undefined {
  const spec = parseCalendar(text);
  if (text.trim().startsWith("@")) return undefined;
  const hours = expand(spec.hour, 0, 23);
  const minutes = expand(spec.minute, 0, 59);
  const seconds = [
    ...new Set(
      expand(spec.second === undefined ? undefined : spec.second, 0, 60 * USEC_PER_SEC - 1).map((us) =>
        Math.floor(us / USEC_PER_SEC),
      ),
    ),
  ];
  // Second lists are in microseconds: expanding `*` that way would be 60 million values, so `*` (a
  // repeat of one second from 0) is handled as every second.
  const times: number[] = [];
  for (const h of hours) for (const m of minutes) for (const sec of seconds) times.push(h * 3600 + m * 60 + sec);
  times.sort((a, b) => a - b);
  if (times.length === 0) return undefined;
  let longest = 0;
  for (let i = 1; i < times.length; i++) longest = Math.max(longest, times[i] - times[i - 1]);
  const first = times[0];
  const last = times[times.length - 1];
  const years = spec.year === undefined ? undefined : new Set(expand(spec.year, MIN_YEAR, MAX_YEAR));
  const months = new Set(expand(spec.month, 1, 12));
  const days = new Set(expand(spec.day, 1, 31));
  const start = Date.UTC(2026, 0, 1) / 1000 / SECONDS_PER_DAY;
  let previousDay: number | undefined;
  let elapses = 0;
  for (let d = start; d < start + GAP_SEARCH_DAYS; d++) {
    const date = new Date(d * SECONDS_PER_DAY * 1000);
    if (years !== undefined && !years.has(date.getUTCFullYear())) continue;
    if (!months.has(date.getUTCMonth() + 1)) continue;
    const dayOfMonth = spec.endOfMonth
      ? new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 0)).getUTCDate() - date.getUTCDate() + 1
      : date.getUTCDate();
    if (!days.has(dayOfMonth)) continue;
    // systemd's weekday bits: Monday is bit 0; JavaScript's Sunday is 0.
    if (spec.weekdays !== 0 && (spec.weekdays & (1 << ((date.getUTCDay() + 6) % 7))) === 0) continue;
    if (previousDay !== undefined) longest = Math.max(longest, (d - previousDay) * SECONDS_PER_DAY + first - last);
    previousDay = d;
    elapses += times.length;
  }
  if (elapses < 2) return undefined;
  return longest + (spec.zone !== undefined && spec.zone !== "UTC" ? 3600 : 0);
}

interface Cursor {
  s: string;
}

const skipSpaces = (c: Cursor): void => {
  c.s = c.s.replace(/^ +/, "");
};

function parseWeekdays(c: Cursor, spec: Spec): void {
  let rangeStart = -1;
  let first = true;
  for (;;) {
    const lower = c.s.toLowerCase();
    const found = WEEKDAYS.find(([name]) => lower.startsWith(name));
    if (found === undefined) {
      if (first) return;
      throw new CalendarError(`a weekday (Mon … Sun) where "${c.s}" is`);
    }
    const [name, nr] = found;
    const after = c.s[name.length] ?? "";
    if (!["", "-", ".", ",", " "].includes(after))
      throw new CalendarError(`a weekday name, not "${c.s.split(/[ ,.-]/)[0]}"`);
    spec.weekdays |= 1 << nr;
    if (rangeStart >= 0) {
      if (rangeStart > nr) throw new CalendarError("a weekday range that goes forward (Mon..Fri, not Fri..Mon)");
      for (let j = rangeStart + 1; j < nr; j++) spec.weekdays |= 1 << j;
    }
    c.s = c.s.slice(name.length);
    if (c.s === "") return;
    if (c.s[0] === " ") {
      skipSpaces(c);
      return;
    }
    if (c.s[0] === ".") {
      if (rangeStart >= 0 || c.s[1] !== ".") throw new CalendarError("a weekday range written Mon..Fri");
      rangeStart = nr;
      c.s = c.s.slice(2);
    } else if (c.s[0] === "-") {
      if (rangeStart >= 0) throw new CalendarError("a weekday range with two ends");
      rangeStart = nr;
      c.s = c.s.slice(1);
    } else if (c.s[0] === ",") {
      rangeStart = -1;
      c.s = c.s.slice(1);
    }
    if (c.s === "" || c.s[0] === " ") {
      skipSpaces(c);
      if (rangeStart >= 0) throw new CalendarError("a weekday range with an end (Mon..Fri)");
      return;
    }
    first = false;
  }
}

/** Reads an unsigned decimal; with `usec`, seconds with up to 6 fractional digits, in microseconds. */
function parseDecimal(c: Cursor, usec: boolean): number {
  const m = /^\d+/.exec(c.s);
  if (m === null) throw new CalendarError(`a number or * where "${c.s === "" ? "(end)" : c.s}" is`);
  let value = Number(m[0]);
  let rest = c.s.slice(m[0].length);
  if (usec) {
    value *= USEC_PER_SEC;
    if (rest[0] === "." && rest[1] !== ".") {
      const frac = /^\.(\d+)/.exec(rest);
      if (frac === null) throw new CalendarError("digits after the decimal point of the seconds");
      // systemd keeps 6 digits and rounds on the 7th.
      const digits = frac[1];
      let micro = Number(digits.slice(0, 6).padEnd(6, "0"));
      if (digits.length > 6 && Number(digits[6]) >= 5) micro += 1;
      value += micro;
      rest = rest.slice(frac[0].length);
    }
  }
  if (!Number.isFinite(value) || value > INT_MAX) throw new CalendarError(`a smaller number than ${m[0]}`);
  c.s = rest;
  return value;
}

function parseChain(c: Cursor, usec: boolean): Chain {
  if (c.s[0] === "*") {
    c.s = c.s.slice(1);
    return usec ? [{ start: 0, stop: -1, repeat: USEC_PER_SEC }] : undefined;
  }
  const chain: Component[] = [];
  for (;;) {
    if (chain.length > COMPONENTS_MAX) throw new CalendarError(`at most ${COMPONENTS_MAX} values in a list`);
    const start = parseDecimal(c, usec);
    let stop = -1;
    let repeat = 0;
    if (c.s.startsWith("..")) {
      c.s = c.s.slice(2);
      stop = parseDecimal(c, usec);
      repeat = usec ? USEC_PER_SEC : 1;
    }
    if (c.s[0] === "/") {
      c.s = c.s.slice(1);
      repeat = parseDecimal(c, usec);
      if (repeat === 0) throw new CalendarError("a repetition other than /0");
    }
    const next = c.s[0] ?? "";
    if (!["", " ", ",", "-", "~", ":"].includes(next)) throw new CalendarError(`a separator where "${c.s}" is`);
    chain.push({ start, stop, repeat });
    if (next !== ",") return chain;
    c.s = c.s.slice(1);
  }
}

/** Reads `[[YEAR-]MONTH-DAY]`; true when the expression was `@<seconds>` (nothing may follow). */
function parseDate(c: Cursor, spec: Spec): boolean {
  if (c.s === "") return false;
  if (c.s[0] === "@") {
    const m = /^@(\d+)/.exec(c.s);
    if (m === null) throw new CalendarError("@ followed by seconds since 1970");
    const year = new Date(Number(m[1]) * 1000).getUTCFullYear();
    if (!Number.isFinite(year) || year < MIN_YEAR || year > MAX_YEAR)
      throw new CalendarError(`a time from ${MIN_YEAR} to ${MAX_YEAR}`);
    c.s = c.s.slice(m[0].length);
    return true;
  }
  const t: Cursor = { s: c.s };
  const first = parseChain(t, false);
  // A ':' (or the end) after the first part: it was a time, not a date.
  if (t.s === "" || t.s[0] === ":") return false;
  if (t.s[0] === "~") spec.endOfMonth = true;
  else if (t.s[0] !== "-") throw new CalendarError(`a '-' between the parts of the date where "${t.s}" is`);
  t.s = t.s.slice(1);
  const second = parseChain(t, false);
  if (t.s === "" || t.s[0] === " ") {
    skipSpaces(t);
    spec.month = first;
    spec.day = second;
    c.s = t.s;
    return false;
  }
  if (spec.endOfMonth) throw new CalendarError("'~' only between the month and the day");
  if (t.s[0] === "~") spec.endOfMonth = true;
  else if (t.s[0] !== "-") throw new CalendarError(`a '-' between the parts of the date where "${t.s}" is`);
  t.s = t.s.slice(1);
  const third = parseChain(t, false);
  if (t.s !== "" && t.s[0] !== " ") throw new CalendarError(`a space after the date where "${t.s}" is`);
  skipSpaces(t);
  spec.year = first;
  spec.month = second;
  spec.day = third;
  c.s = t.s;
  return false;
}

function parseTime(c: Cursor, spec: Spec): void {
  const zero = (): Component[] => [{ start: 0, stop: -1, repeat: 0 }];
  if (c.s === "") {
    spec.hour = zero();
    spec.minute = zero();
    spec.second = zero();
    return;
  }
  spec.hour = parseChain(c, false);
  if (c.s[0] !== ":") throw new CalendarError(`a time written HOUR:MINUTE[:SECOND] where "${c.s}" is`);
  c.s = c.s.slice(1);
  spec.minute = parseChain(c, false);
  if (c.s === "") {
    spec.second = zero();
    return;
  }
  if (c.s[0] !== ":") throw new CalendarError(`a time written HOUR:MINUTE[:SECOND] where "${c.s}" is`);
  c.s = c.s.slice(1);
  spec.second = parseChain(c, true);
}

function validate(spec: Spec): void {
  if (spec.endOfMonth && spec.day === undefined) spec.endOfMonth = false;
  // Two-digit years: 0–69 are 2000–2069, 70–99 are 1970–1999.
  for (const comp of spec.year ?? []) {
    for (const key of ["start", "stop"] as const) {
      if (comp[key] >= 0 && comp[key] < 70) comp[key] += 2000;
      else if (comp[key] >= 70 && comp[key] < 100) comp[key] += 1900;
    }
  }
  const checks: Array<[string, Chain, number, number, boolean]> = [
    ["year", spec.year, MIN_YEAR, MAX_YEAR, false],
    ["month", spec.month, 1, 12, false],
    ["day", spec.day, 1, 31, spec.endOfMonth],
    ["hour", spec.hour, 0, 23, false],
    ["minute", spec.minute, 0, 59, false],
    ["second", spec.second, 0, 60 * USEC_PER_SEC - 1, false],
  ];
  for (const [what, chain, from, max, eom] of checks) {
    const to = eom ? max - 3 : max;
    for (const comp of chain ?? []) {
      if (comp.stop > comp.start && comp.repeat > 0) comp.stop -= (comp.stop - comp.start) % comp.repeat;
      const scale = what === "second" ? USEC_PER_SEC : 1;
      const range = `${from / scale}–${Math.floor(to / scale)}`;
      if (comp.start < from || comp.start > to)
        throw new CalendarError(`${what === "hour" ? "an" : "a"} ${what} in ${range}`);
      if (comp.repeat > to - from) throw new CalendarError(`a ${what} repetition that fits in ${range}`);
      if (comp.stop >= 0) {
        if (comp.stop < from || comp.stop > to) throw new CalendarError(`a ${what} range within ${range}`);
        if (comp.start + comp.repeat > comp.stop)
          throw new CalendarError(`a ${what} range whose end comes after its start`);
      } else if (eom ? comp.start - comp.repeat < from : comp.start + comp.repeat > to) {
        throw new CalendarError(`a ${what} repetition that repeats at least once within ${range}`);
      }
    }
  }
}
