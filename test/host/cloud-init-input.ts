/**
 * A host's input to renderCloudInit (infra/host/aws/cloud-init.ts) for the tests that render or
 * run its user data: an example region, data volume and Docker port, with placeholder certificates
 * (a test that needs real ones puts them in).
 */
import type { CloudInitInput } from "../../infra/host/aws/cloud-init";

const PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

export const HOST_INPUT: CloudInitInput = {
  region: "eu-central-1",
  dataVolumeId: "vol-0123456789abcdef0",
  dataDeviceName: "/dev/sdf",
  dataPath: "/srv",
  dockerPort: 2376,
  caCertPem: PEM,
  serverCertPem: PEM,
  serverKeyParameter: "/t/gitlab-dind/docker/server-key",
};
