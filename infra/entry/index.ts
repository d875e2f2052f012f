/**
 * The Pulumi entry point: read and validate the stack configuration (a bad one stops here,
 * before any resource is registered), then build the stack and export its outputs.
 */
import { loadStackConfig } from "../config/load";
import { buildStack } from "../program";

export = buildStack(loadStackConfig()).outputs;
