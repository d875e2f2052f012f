import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Pulumi's mock runtime is process-global state: one test file per worker, files isolated.
    // (`pool: "threads"` hangs: Pulumi's closure serialization fails in a worker thread.)
    pool: "forks",
    isolate: true,
    // Files run in separate processes (forks, isolated), so two at once share no Pulumi state.
    // vitest's default is one fewer than the CPUs: a single worker on a 2-CPU machine, where
    // much of a file's time is spent waiting on a child process or a socket.
    maxWorkers: Math.max(2, availableParallelism()),
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
