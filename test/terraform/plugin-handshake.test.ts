import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { X509Certificate } from "node:crypto";
import { credentials, type Client, type ServiceClientConstructor } from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import {
  blockType,
  encodeMsgpack,
  generatePluginIdentity,
  loadPluginPackage,
  MAGIC_COOKIE_KEY,
  MAGIC_COOKIE_VALUE,
  providerSchema,
  RESOURCES,
  type BlockSpec,
  type ValueObject,
} from "../../src/terraform/index.js";
import { waitFor } from "../support/wait.js";

/*
 * The plugin as go-plugin's client sees it, without Terraform: bin/terraform-provider-tokenplane
 * refuses to run without the magic cookie, prints one handshake line, serves gRPC only to the
 * client certificate it was given (AutoMTLS), answers health and schema calls, and exits
 * promptly on GRPCController.Shutdown.
 */

const WRAPPER = fileURLToPath(new URL("../../bin/terraform-provider-tokenplane", import.meta.url));

function launch(env: NodeJS.ProcessEnv) {
  const child = spawn(WRAPPER, [], { env: { ...process.env, TOKENPLANE_PROVIDER_FROM_SOURCE: "1", ...env } });
  const out = { stdout: "", stderr: "" };
  child.stdout.on("data", (d: Buffer) => (out.stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out.stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, out, exited };
}

type Call = (
  request: object,
  callback: (err: Error | null, response: Record<string, unknown>) => void,
) => void;
const call = (client: Client, method: string, request: object = {}) =>
  new Promise<Record<string, unknown>>((resolve, reject) =>
    (client as unknown as Record<string, Call>)[method]?.call(client, request, (err, response) =>
      err ? reject(err) : resolve(response),
    ),
  );

function constructor(path: string): ServiceClientConstructor {
  let node: unknown = loadPluginPackage();
  for (const part of path.split(".")) node = (node as Record<string, unknown>)[part];
  return node as ServiceClientConstructor;
}

const running: { child: { kill(): boolean } }[] = [];
afterEach(() => {
  for (const r of running.splice(0)) r.child.kill();
});

describe("plugin handshake and AutoMTLS", { timeout: 60_000 }, () => {
  it("refuses to run when Terraform did not launch it", async () => {
    const plugin = launch({ [MAGIC_COOKIE_KEY]: "" });
    expect(await plugin.exited).toBe(1);
    expect(plugin.out.stdout).toBe("");
    expect(plugin.out.stderr).toContain("Terraform runs it as a plugin");
  });

  it("serves protocol 6 over mutual TLS and shuts down when asked", async () => {
    const terraform = await generatePluginIdentity();
    const plugin = launch({
      [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE,
      PLUGIN_PROTOCOL_VERSIONS: "5,6",
      PLUGIN_CLIENT_CERT: terraform.certPem,
    });
    running.push(plugin);
    const line = await waitFor(() => plugin.out.stdout.includes("\n") && plugin.out.stdout, {
      timeoutMs: 45_000,
      what: "the handshake line",
    });
    const [core, app, network, address, protocol, cert, ...rest] = line.trim().split("|");
    expect([core, app, network, protocol, rest.length]).toEqual(["1", "6", "tcp", "grpc", 0]);
    expect(address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(cert).not.toMatch(/=$/); // RawStdEncoding: no padding
    const serverCert = new X509Certificate(Buffer.from(cert ?? "", "base64"));
    expect(serverCert.checkHost("localhost")).toBe("localhost");

    const tls = credentials.createSsl(
      Buffer.from(serverCert.toString()),
      Buffer.from(terraform.keyPem),
      Buffer.from(terraform.certPem),
    );
    const options = { "grpc.ssl_target_name_override": "localhost" };
    const Health = constructor("grpc.health.v1.Health");
    const Provider = constructor("tfplugin6.Provider");
    const Controller = constructor("plugin.GRPCController");

    const health = new Health(address ?? "", tls, options);
    expect(await call(health, "Check", { service: "plugin" })).toEqual({ status: "SERVING" });

    const provider = new Provider(address ?? "", tls, options);
    const schema = await call(provider, "GetProviderSchema");
    expect(Object.keys(schema.resource_schemas as object).sort()).toEqual([
      "tokenplane_access_token",
      "tokenplane_default_permissions",
      "tokenplane_resource",
      "tokenplane_user",
    ]);
    expect(Object.keys(schema.ephemeral_resource_schemas as object)).toEqual(["tokenplane_access_token"]);

    // Diagnostics name the attribute, and never echo the credential.
    const dynamic = (schema: BlockSpec, value: ValueObject) => ({
      msgpack: Buffer.from(encodeMsgpack(blockType(schema), value)),
    });
    const secret = "tps_ThisIsNotARealTokenButLooksSecret0123456789abcdefgh";
    const configured = await call(provider, "ConfigureProvider", {
      terraform_version: "1.11.4",
      config: dynamic(providerSchema, { url: "ftp://tokens.example.com", token: secret }),
    });
    expect(configured.diagnostics).toMatchObject([
      {
        severity: "ERROR",
        summary: "Invalid provider url",
        attribute: { steps: [{ attribute_name: "url" }] },
      },
    ]);
    expect(JSON.stringify(configured)).not.toContain(secret);
    const tokenSchema = RESOURCES.find((r) => r.typeName === "tokenplane_access_token")?.schema;
    const validated = await call(provider, "ValidateResourceConfig", {
      type_name: "tokenplane_access_token",
      config: dynamic(tokenSchema ?? providerSchema, {
        user_id: "u",
        name: "n",
        allowed_ips: ["10.0.0.300"],
      }),
    });
    expect(validated.diagnostics).toMatchObject([
      { summary: "Invalid allowed_ips", attribute: { steps: [{ attribute_name: "allowed_ips" }] } },
    ]);

    // A client without the certificate Terraform announced is turned away.
    const stranger = await generatePluginIdentity();
    const other = new Health(
      address ?? "",
      credentials.createSsl(
        Buffer.from(serverCert.toString()),
        Buffer.from(stranger.keyPem),
        Buffer.from(stranger.certPem),
      ),
      options,
    );
    await expect(call(other, "Check", { service: "plugin" })).rejects.toThrow();

    await call(new Controller(address ?? "", tls, options), "Shutdown");
    expect(await plugin.exited).toBe(0);
  });
});
