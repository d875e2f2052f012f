import { defineConfig, mergeConfig } from "vitest/config";
import base from "./vitest.config.mts";

/**
 * The suite's vitest config for `npm run mutants`. Stryker's vitest runner asks for
 * `pool: "threads"` (a CLI option, which vitest applies to every project); Pulumi's closure
 * serialization hangs in a worker thread, so this plugin puts the resolved pool back to the
 * suite's forks once vitest has applied that option.
 */
export default mergeConfig(
  base,
  defineConfig({
    plugins: [
      {
        name: "gitlab-dind:forks-for-pulumi",
        configureVitest({ project }) {
          project.config.pool = "forks";
        },
      },
    ],
  }),
);
