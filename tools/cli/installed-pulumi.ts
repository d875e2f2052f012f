/**
 * Where an installed Pulumi CLI is: the first `pulumi` on PATH outside any `node_modules/.bin`.
 *
 * `npm run` puts the `node_modules/.bin` folders of the project (and of every folder above it) first
 * on PATH, and the pinned `pulumi` npm package has its shim there. Found by name, that shim would
 * shadow a CLI the user installed, and download a copy of its own on first use, which fails
 * offline. So `npm run smoke` and `npm run e2e` (like tools/pulumi-cli.sh for `local:up`) look past
 * those folders, and fall back on the package only when no CLI is installed.
 */
import { accessSync, constants, statSync } from "node:fs";
import { delimiter, join } from "node:path";

export function installedPulumi(pathVariable: string | undefined): string | undefined {
  for (const dir of (pathVariable ?? "").split(delimiter)) {
    if (dir === "" || /(^|[\\/])node_modules[\\/]\.bin[\\/]?$/.test(dir)) continue;
    const candidate = join(dir, "pulumi");
    try {
      // A regular file this user may execute, as a shell's PATH lookup takes it.
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // Not in this folder.
    }
  }
  return undefined;
}
