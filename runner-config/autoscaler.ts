/**
 * The `[runners.autoscaler]` section of the docker-autoscaler executor: GitLab Runner's fleeting AWS
 * plugin drives one Auto Scaling group of throw-away EC2 workers, each job running on a worker's own
 * Docker daemon (privileged DinD included: the executor wraps the docker executor, so
 * `[runners.docker]` stays as it is).
 *
 * Sources: GitLab Runner v19.3.0 `docs/executors/docker_autoscaler.md` (the AWS example: one job per
 * instance, `concurrent = max_instances × capacity_per_instance`), `docs/configuration/advanced-configuration.md`
 * ("The [runners.autoscaler] section" and its sub-sections), `docs/fleet_scaling/fleeting.md` (plugin
 * reference formats), and the fleeting AWS plugin's README (plugin_config `name`, default connector:
 * `ec2-user`, credentials pushed with EC2 Instance Connect).
 */
import type { AutoscalerConfig } from "../infra/config/types";
import type { AutoscalerSection } from "./model";

/**
 * The fleeting AWS plugin, as `gitlab-runner fleeting install` resolves it: `<registry>/<repository>/<name>:<version>`
 * with GitLab's registry and repository (the defaults of the short form `aws:1.1.0`, written out so the
 * file says where the plugin comes from). Pinned to one release: `latest`, a bare `aws` or a major-only
 * constraint would install whatever is newest on the day a manager (re)starts. 1.1.0 is the release that
 * needs `ec2:DescribeSpotInstanceRequests` (cattle-ops/terraform-aws-gitlab-runner#1319, citing the
 * plugin's "Recommended IAM Policy"); the manager's IAM policy (infra/autoscaler) grants it.
 */
export const FLEETING_PLUGIN_AWS = "registry.gitlab.com/gitlab-org/fleeting/plugins/aws:1.1.0";

/** The Amazon Linux 2023 user the runner connects as; the worker's user data puts it in the `docker` group. */
export const WORKER_USERNAME = "ec2-user";

/**
 * Run on every new worker before it takes a job (a failure removes the worker): wait until its cloud-init
 * has finished (Docker installed and started, the user in the `docker` group), then ask Docker as a fresh
 * login of that user, which is what each job's connection will be. With a fresh VM per job, every job
 * would otherwise race the install.
 * - `;`, not `&&`, after the wait: newer cloud-init exits 2 for a run with mere warnings ("degraded"); the
 *   Docker check is what decides.
 * - Not plain `docker info`: this command's own SSH connection may predate the group change (sshd fixes a
 *   connection's groups when it logs in), so it could fail on a worker that is in fact ready.
 */
export const INSTANCE_READY_COMMAND = `cloud-init status --wait >/dev/null 2>&1; sudo -n -u ${WORKER_USERNAME} docker info >/dev/null`;

/** The section for the stack's autoscaler settings and its Auto Scaling group. */
export function autoscalerSection(settings: AutoscalerConfig, autoScalingGroupName: string): AutoscalerSection {
  return {
    plugin: FLEETING_PLUGIN_AWS,
    capacity_per_instance: settings.capacityPerInstance,
    max_use_count: settings.maxUseCount,
    max_instances: settings.maxInstances,
    instance_ready_command: INSTANCE_READY_COMMAND,
    plugin_config: { name: autoScalingGroupName },
    connector_config: { username: WORKER_USERNAME, use_external_addr: false, use_static_credentials: false },
    policy: [{ idle_count: settings.idleCount, idle_time: settings.idleTime }],
    // The manager's graceful stop (SIGQUIT, `pulumi destroy` deleting its container) ends with the
    // taskscaler removing every worker it provisioned (gitlab-runner v19.3.0
    // executors/internal/autoscaler/provider.go: WithDeleteInstancesOnShutdown), within config.toml's
    // shutdown_timeout. The group's own delete afterwards terminates whatever is left.
    delete_instances_on_shutdown: true,
  };
}
