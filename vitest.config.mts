import { availableParallelism } from "node:os";
import type { VitestPluginContext } from "vitest/node";
import { defineConfig } from "vitest/config";

export default defineConfig({
  plugins: [
    {
      // `npm run mutants`: Stryker's vitest runner asks for `pool: "threads"` (as a command-line
      // option, which vitest applies to every project). Pulumi's closure serialization hangs in a
      // worker thread, so the resolved pool is put back to forks. A no-op for `npm test`.
      name: "gitlab-dind:forks-for-pulumi",
      configureVitest({ project }: VitestPluginContext) {
        project.config.pool = "forks";
      },
    },
  ],
  test: {
    include: ["test/**/*.test.ts"],
    // `pool: "threads"` hangs: Pulumi's closure serialization fails in a worker thread.
    pool: "forks",
    // Files run in separate processes (forks), so two at once share no Pulumi state. vitest's
    // default is one fewer than the CPUs: a single worker on a 2-CPU machine, where much of a
    // file's time is spent waiting on a child process or a socket.
    maxWorkers: Math.max(2, availableParallelism()),
    // Test files share their worker processes, one file after another: the SDK, the program's
    // modules and Pulumi's serialized dynamic providers are loaded once per worker rather than once
    // per file (about 40 s of CPU over the suite). Pulumi's mock runtime is process-global, which
    // is safe one file at a time: every run of the program under mocks (`runUnderMocks`,
    // `pulumi.runtime.setMocks`) starts a fresh mock monitor and stack. A file must leave no
    // global state behind: environment variables, fake timers, `process.exitCode`, open servers.
    isolate: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
