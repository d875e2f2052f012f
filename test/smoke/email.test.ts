/**
 * Smoke's email check (tools/smoke/email.ts) against stand-ins: a fake Mailpit speaking its
 * `GET /api/v1/messages` (the fields of Mailpit v1.30.5's swagger.json `MessagesSummary`), a fake
 * command runner for `docker exec`, and the fake SSM server (test/backup/fake-ssm.ts) for the AWS
 * host. What it proves: GitLab's own test mail is sent through `gitlab-rails runner`, found in
 * Mailpit by its unique subject, and a refusal is reported with what it most likely means.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { SSMClient } from "@aws-sdk/client-ssm";
import { afterEach, describe, expect, it } from "vitest";
import {
  checkEmail,
  dockerExec,
  parseEmailOutputs,
  shellQuote,
  ssmExec,
  testEmailRuby,
  type ContainerCommand,
  type EmailTarget,
} from "../../tools/smoke/email";
import type { CommandResult } from "../../tools/smoke/stack-outputs";
import { fakeSsm, type FakeSsm } from "../backup/fake-ssm";

const LOCAL: EmailTarget = {
  provider: "mailpit",
  from: "gitlab@localhost",
  container: "local-gitlab",
  mailpitUrl: "",
};

let server: Server | undefined;
let ssm: FakeSsm | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
  server = undefined;
  await ssm?.close();
  ssm = undefined;
});

/** A Mailpit stand-in: lists `inbox()` at GET /api/v1/messages, records the paths asked. */
async function fakeMailpit(inbox: () => unknown[]): Promise<{ url: string; paths: string[] }> {
  const paths: string[] = [];
  server = createServer((req, res) => {
    paths.push(req.url ?? "");
    if (req.method !== "GET" || !(req.url ?? "").startsWith("/api/v1/messages")) {
      res.writeHead(404).end();
      return;
    }
    const messages = inbox();
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        total: messages.length,
        unread: messages.length,
        messages_count: messages.length,
        start: 0,
        tags: [],
        messages,
      }),
    );
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, paths };
}

function recorder(result: CommandResult, onRun: () => void = () => undefined) {
  const calls: (readonly string[])[] = [];
  const exec: ContainerCommand = (argv) => {
    calls.push(argv);
    onRun();
    return Promise.resolve(result);
  };
  return { calls, exec };
}

/** A clock the polls advance: sleeping moves time forward, nothing waits. */
function fakeClock() {
  let t = 0;
  return { now: () => t, sleep: (ms: number) => ((t += ms), Promise.resolve()) };
}

describe("the email check", () => {
  it("sends GitLab's test mail through gitlab-rails runner and finds it in Mailpit", async () => {
    const inbox: unknown[] = [];
    const mailpit = await fakeMailpit(() => inbox);
    const subject = "gitlab-dind smoke 2026-12-06T04:00:00.000Z";
    // Mailpit lists the message only after GitLab sent it (the command ran).
    const { calls, exec } = recorder({ code: 0, stdout: "", stderr: "" }, () =>
      inbox.push({
        ID: "a1",
        Subject: subject,
        From: { Name: "GitLab", Address: "gitlab@localhost" },
        To: [{ Name: "", Address: "smoke@example.com" }],
        Created: "2026-12-06T04:00:01Z",
      }),
    );
    const lines: string[] = [];
    const ok = await checkEmail(
      { ...LOCAL, mailpitUrl: mailpit.url },
      { to: "smoke@example.com", subject, exec, out: (l) => lines.push(l), ...fakeClock() },
    );
    expect(ok).toBe(true);
    expect(calls).toEqual([
      [
        "gitlab-rails",
        "runner",
        `Notify.test_email('smoke@example.com', '${subject}', 'gitlab-dind smoke test: GitLab sent this as gitlab@localhost.').deliver_now`,
      ],
    ]);
    expect(mailpit.paths).toEqual(["/api/v1/messages?limit=50"]);
    expect(lines.at(-1)).toBe(
      `✔ Email: Mailpit received GitLab's test mail from gitlab@localhost to smoke@example.com (${mailpit.url})`,
    );
  });

  it("is not proven when Mailpit never lists the mail (another subject, another recipient)", async () => {
    const mailpit = await fakeMailpit(() => [
      { Subject: "an older smoke run", To: [{ Address: "smoke@example.com" }] },
      { Subject: "this run", To: [{ Address: "someone@example.com" }] },
    ]);
    const { exec } = recorder({ code: 0, stdout: "", stderr: "" });
    const lines: string[] = [];
    const ok = await checkEmail(
      { ...LOCAL, mailpitUrl: mailpit.url },
      {
        to: "smoke@example.com",
        subject: "this run",
        exec,
        out: (l) => lines.push(l),
        mailpitTimeoutMs: 10_000,
        ...fakeClock(),
      },
    );
    expect(ok).toBe(false);
    expect(lines.at(-1)).toMatch(
      /^✘ Email: GitLab sent the test mail, but Mailpit did not list it \(no such message yet\)/,
    );
    expect(mailpit.paths.length).toBeGreaterThan(1);
  });

  it("reports an SES refusal with what it means, and never looks for Mailpit", async () => {
    const { exec } = recorder({
      code: 1,
      stdout: "",
      stderr:
        "/opt/gitlab/embedded/lib/ruby/net/smtp.rb: 554 Message rejected: Email address is not verified. The following identities failed the check in region EU-CENTRAL-1: smoke@example.org (Net::SMTPFatalError)",
    });
    const lines: string[] = [];
    const ses: EmailTarget = { provider: "ses", from: "gitlab@example.com", container: "dev-gitlab" };
    expect(await checkEmail(ses, { to: "smoke@example.org", subject: "s", exec, out: (l) => lines.push(l) })).toBe(
      false,
    );
    expect(lines[1]).toBe("✘ Email: GitLab could not send (gitlab-rails runner exited 1):");
    expect(lines.at(-1)).toContain("the account is in the SES sandbox and the recipient is not a verified identity");
  });

  it("with ses or smtp, an accepted mail is reported as accepted (its arrival is for the recipient to see)", async () => {
    const { exec } = recorder({ code: 0, stdout: "", stderr: "" });
    const lines: string[] = [];
    const ses: EmailTarget = { provider: "ses", from: "gitlab@example.com", container: "dev-gitlab" };
    expect(await checkEmail(ses, { to: "ops@example.com", subject: "s1", exec, out: (l) => lines.push(l) })).toBe(true);
    expect(lines.at(-1)).toBe(
      `✔ Email: SES accepted GitLab's test mail to ops@example.com (subject "s1"); check that it arrived.`,
    );
  });
});

describe("where the command runs", () => {
  it("locally: docker exec in GitLab's container", async () => {
    const seen: unknown[] = [];
    const exec = dockerExec("local-gitlab", { DOCKER_HOST: "unix:///var/run/docker.sock" }, (command, args, env) => {
      seen.push([command, args, env.DOCKER_HOST]);
      return Promise.resolve({ code: 0, stdout: "", stderr: "" });
    });
    await exec(["gitlab-rails", "runner", "puts 1"]);
    expect(seen).toEqual([
      ["docker", ["exec", "local-gitlab", "gitlab-rails", "runner", "puts 1"], "unix:///var/run/docker.sock"],
    ]);
  });

  it("on aws: one SSM command on the host, every word quoted for the shell", async () => {
    ssm = await fakeSsm(() => ({ status: "Success", exitCode: 0, stdout: "" }));
    const client = new SSMClient({
      region: "eu-central-1",
      endpoint: ssm.url,
      credentials: { accessKeyId: "AKIDFAKEFORTESTS0001", secretAccessKey: "fake" },
    });
    const exec = ssmExec(
      "dev-gitlab",
      { instanceId: "i-0a1b2c3d4e5f60718", region: "eu-central-1" },
      client,
      () => undefined,
      {
        sleep: () => Promise.resolve(),
      },
    );
    const ruby = testEmailRuby("o'brien@example.com", "it's", "b");
    expect(ruby).toBe("Notify.test_email('o\\'brien@example.com', 'it\\'s', 'b').deliver_now");
    const result = await exec(["gitlab-rails", "runner", ruby]);
    expect(result.code).toBe(0);
    expect(ssm.requests[0].body.InstanceIds).toEqual(["i-0a1b2c3d4e5f60718"]);
    expect(ssm.requests[0].body.Parameters.commands).toEqual([
      ["docker", "exec", "dev-gitlab", "gitlab-rails", "runner", ruby].map(shellQuote).join(" "),
    ]);
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  });
});

describe("the stack's email outputs", () => {
  it("name the provider, the container and, on aws, the host and region", () => {
    const problems: string[] = [];
    expect(
      parseEmailOutputs(
        {
          team: "dev",
          target: "aws",
          instanceId: "i-0a1b2c3d4e5f60718",
          emailProvider: "ses",
          emailFrom: "gitlab@example.com",
          emailRegion: "eu-central-1",
        },
        problems,
      ),
    ).toEqual({
      provider: "ses",
      from: "gitlab@example.com",
      container: "dev-gitlab",
      aws: { instanceId: "i-0a1b2c3d4e5f60718", region: "eu-central-1" },
    });
    expect(
      parseEmailOutputs(
        {
          team: "local",
          target: "local",
          emailProvider: "mailpit",
          emailFrom: "gitlab@localhost",
          mailpitUrl: "http://127.0.0.1:8025/",
        },
        problems,
      ),
    ).toEqual({
      provider: "mailpit",
      from: "gitlab@localhost",
      container: "local-gitlab",
      mailpitUrl: "http://127.0.0.1:8025",
    });
    expect(problems).toEqual([]);
    expect(parseEmailOutputs({ team: "dev" }, problems)).toBeUndefined();
    parseEmailOutputs({ team: "local", target: "local", emailProvider: "mailpit", emailFrom: "x" }, problems);
    expect(problems).toEqual([
      'emailFrom: expected an address, got "x"',
      "mailpitUrl: expected an http URL, got undefined",
    ]);
  });
});
