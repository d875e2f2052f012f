/** A clock that only the code's own pauses move on: its deadlines, backoffs and intervals pass at once. */
export interface FakeClock {
  /** The milliseconds slept so far. */
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

export function fakeClock(): FakeClock {
  let clock = 0;
  return {
    now: () => clock,
    sleep: (ms) => {
      clock += ms;
      return Promise.resolve();
    },
  };
}
