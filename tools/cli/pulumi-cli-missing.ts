/**
 * What every command that needs the Pulumi CLI says when it cannot be had: the README's install
 * steps (section "The Pulumi CLI"), from one text file that tools/pulumi-cli.sh prints too, so that
 * `smoke`, `backup`, `restore`, `e2e`, `local:up` and `local:destroy` all say the same thing.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** The steps, as tools/pulumi-cli.sh prints them (`cat`). */
export const PULUMI_CLI_MISSING_FILE = join(__dirname, "pulumi-cli-missing.txt");

/** `why` (one line: what failed), then the README's steps. */
export function pulumiCliMissing(why: string): string {
  return `${why}\n${readFileSync(PULUMI_CLI_MISSING_FILE, "utf8").trimEnd()}`;
}

/**
 * Whether a failed CLI run is the pinned `pulumi` npm package failing to download the CLI (no
 * internet, a proxy): its shim prints `Downloading pulumi v<version>...` and then
 * `pulumi: <error>` (node_modules/pulumi/run.js, lib/resolve.js), e.g. `pulumi: fetch failed` or
 * `pulumi: HTTP 403 fetching https://get.pulumi.com/install.sh`. Returns that error line.
 */
export function cliDownloadFailure(stderr: string): string | undefined {
  if (!/^Downloading pulumi v\S+\.\.\.$/m.test(stderr)) return undefined;
  return stderr.match(/^pulumi: .+$/m)?.[0] ?? stderr.trim().split("\n").at(-1);
}
