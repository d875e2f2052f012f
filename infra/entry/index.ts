/**
 * The Pulumi entry point: read and validate the stack configuration (a bad one stops here,
 * before any resource is registered), then build the stack and export its outputs.
 */
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { loadStackConfig } from "../config/load";
import { findProjectDir, sameTeamWarning } from "../config/team-files";
import { buildStack } from "../program";
import { reportBuildErrorsAsMessages } from "./build-errors";

reportBuildErrorsAsMessages();
const config = loadStackConfig();
// Another stack file of this project with the same team: a warning at preview and up.
const projectDir = findProjectDir(pulumi.runtime.getRootDirectory(), process.cwd());
const stack = pulumi.getStack();
const teamWarning =
  projectDir === undefined
    ? undefined
    : sameTeamWarning(projectDir, stack, config.team, config.target, join(projectDir, `Pulumi.${stack}.yaml`));
if (teamWarning !== undefined) void pulumi.log.warn(teamWarning);

export = buildStack(config).outputs;
