import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

/**
 * Test files that never load Pulumi's runtime (no mocks, no program, no SDK index): renderers,
 * parsers, the GitLab API client and the tools that talk to it. They share their worker processes
 * (`isolate: false`), which spares a process start-up and a module graph per file. Everything else
 * runs isolated, one file per process: Pulumi's mock runtime is process-global state.
 * A file that starts using Pulumi's mocks must not be listed here.
 */
const SHARED_PROCESS = [
  "test/bench/**/*.test.ts",
  "test/config/parse.test.ts",
  "test/docs/**/*.test.ts",
  "test/gitlab-api/**/*.test.ts",
  "test/gitlab/bootstrap-token.test.ts",
  "test/gitlab/gitlab-rb.test.ts",
  "test/gitlab/readiness.test.ts",
  "test/runner-config/**/*.test.ts",
  "test/smoke/**/*.test.ts",
];

export default defineConfig({
  test: {
    // (No `include` here: the projects below inherit this block, and lists are merged.)
    // `pool: "threads"` hangs: Pulumi's closure serialization fails in a worker thread.
    pool: "forks",
    // Files run in separate processes (forks), so two at once share no Pulumi state. vitest's
    // default is one fewer than the CPUs: a single worker on a 2-CPU machine, where much of a
    // file's time is spent waiting on a child process or a socket.
    maxWorkers: Math.max(2, availableParallelism()),
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: { name: "shared-process", include: SHARED_PROCESS, isolate: false },
      },
      {
        extends: true,
        // Pulumi's mock runtime is process-global state: one test file per process.
        test: { name: "isolated", include: ["test/**/*.test.ts"], exclude: SHARED_PROCESS, isolate: true },
      },
    ],
  },
});
