import type { KubeConfig } from "@kubernetes/client-node";
import { Command, InvalidArgumentError, Option } from "commander";
import { existsSync, readFileSync } from "node:fs";
import {
  DEFAULT_ADMIN_SECRET,
  DEFAULT_DATA_DIR,
  DEFAULT_LEADER_ELECTION_ID,
  DEFAULT_PORT,
  generateToken,
} from "./core/index.js";
import { exitWithFailure, programName, registerPeopleCommands } from "./cli/index.js";

// Each command loads only the part it runs: the server must not wait for the Kubernetes client.
const serverPart = () => import("./server/index.js");
const operatorPart = () => import("./operator/index.js");

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError("must be a port number (0-65535)");
  return n;
}

/** Runs until SIGTERM/SIGINT, then closes `stop` and exits. */
function untilSignalled(stop: () => Promise<void>): void {
  let stopping = false;
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      stop().then(
        () => process.exit(0),
        (err: unknown) => {
          console.error(`tokenplane: error while stopping: ${(err as Error).message}`);
          process.exit(1);
        },
      );
    });
  }
}

const program = new Command()
  .name(programName())
  .description("Issue, verify and rotate API access tokens on Kubernetes")
  .version("0.1.0")
  .showHelpAfterError()
  // Failures are reported (and exit codes chosen: 2 for usage) in one place, below.
  .exitOverride();

const SERVER_ENVIRONMENT = `
Environment:
  TOKENPLANE_ADMIN_TOKEN   the admin token (at least 32 random characters: predictable ones
                           are refused); otherwise one is generated on first start and
                           printed once
  TOKENPLANE_PEPPER        hashing key(s): "<version>:<secret>,..." (required with PostgreSQL;
                           the embedded default keeps a generated one in the data directory)
  TOKENPLANE_TRUST_PROXY   which proxies may set X-Forwarded-For (e.g. "loopback, 10.0.0.0/8")
  TOKENPLANE_CONSOLE       "false" to not serve the web console at /console (as --no-console)`;

/** The flags `server` and `operator` share: they configure the (embedded) token server. */
function withServerOptions(command: Command): Command {
  return command
    .addOption(
      new Option("--port <port>", `port to listen on (default ${DEFAULT_PORT})`)
        .argParser(port)
        .env("TOKENPLANE_PORT"),
    )
    .addOption(
      new Option("--host <address>", "address to listen on (default 0.0.0.0)").env("TOKENPLANE_HOST"),
    )
    .addOption(
      new Option("--data-dir <dir>", `embedded database directory (default ${DEFAULT_DATA_DIR})`).env(
        "TOKENPLANE_DATA_DIR",
      ),
    )
    .addOption(
      new Option("--database-url <url>", "use this PostgreSQL instead of the embedded database").env(
        "DATABASE_URL",
      ),
    )
    .addOption(
      new Option(
        "--admin-token-file <file>",
        "write a generated admin token to this file (0600) instead of printing it",
      ).env("TOKENPLANE_ADMIN_TOKEN_FILE"),
    )
    .addOption(
      new Option("--log-level <level>", "how much to log")
        .choices(["trace", "debug", "info", "warn", "error", "silent"])
        .env("TOKENPLANE_LOG_LEVEL"),
    )
    .addOption(new Option("--no-console", "do not serve the web console at /console"));
}

interface ServerFlags {
  port?: number;
  host?: string;
  dataDir?: string;
  databaseUrl?: string;
  adminTokenFile?: string;
  logLevel?: string;
  /** false with --no-console; commander sets true otherwise. */
  console?: boolean;
}

/** `--no-console` only turns the console off; without it TOKENPLANE_CONSOLE decides. */
const withoutDefaults = (flags: ServerFlags): ServerFlags => ({
  ...flags,
  console: flags.console === false ? false : undefined,
});

/** Shown once, outside the structured log; it is stored only as a keyed hash. */
function announceAdminToken(token: string | undefined): void {
  if (!token) return;
  process.stderr.write(
    `\ntokenplane: generated the admin token. It is shown only this once; store it now:\n\n  ${token}\n\n`,
  );
}

withServerOptions(
  program
    .command("server")
    .description("run the token server (embedded PGlite by default, PostgreSQL with --database-url)"),
)
  .addOption(
    new Option(
      "--role <role>",
      "what to serve: all (default), or data-plane: only verify, forward auth and the probes, on the PostgreSQL the full servers share",
    )
      .choices(["all", "data-plane"])
      .env("TOKENPLANE_ROLE"),
  )
  .addHelpText("after", SERVER_ENVIRONMENT)
  .action(async ({ role, ...flags }: ServerFlags & { role?: "all" | "data-plane" }) => {
    const { serverOptionsFromEnv, startDataPlane, startServer } = await serverPart();
    const options = serverOptionsFromEnv(process.env, withoutDefaults(flags));
    if (role === "data-plane") {
      const server = await startDataPlane(options);
      untilSignalled(() => server.close());
      return;
    }
    const server = await startServer(options);
    announceAdminToken(server.generatedAdminToken);
    untilSignalled(() => server.close());
  });

const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/** In-cluster when running in a pod with a service account; else KUBECONFIG or ~/.kube/config. */
async function loadKubeConfig(file: string | undefined): Promise<KubeConfig> {
  const KubeConfig = await (await operatorPart()).kubeConfigClass();
  const kc = new KubeConfig();
  if (file) kc.loadFromFile(file);
  else if (process.env.KUBERNETES_SERVICE_HOST && existsSync(`${SERVICE_ACCOUNT_DIR}/token`))
    kc.loadFromCluster();
  else kc.loadFromDefault();
  return kc;
}

/** How the embedded server is reached in the cluster: the chart's Service, unless told otherwise. */
function embeddedUrl(): { url?: string | ((port: number) => string) } {
  const configured = process.env.TOKENPLANE_EMBEDDED_URL;
  if (configured) return { url: configured };
  const ns = process.env.POD_NAMESPACE;
  if (ns) return { url: (port) => `http://tokenplane.${ns}.svc:${port}` };
  return {};
}

function leaseNamespace(flag: string | undefined): string {
  if (flag) return flag;
  if (process.env.POD_NAMESPACE) return process.env.POD_NAMESPACE;
  try {
    const ns = readFileSync(`${SERVICE_ACCOUNT_DIR}/namespace`, "utf8").trim();
    if (ns) return ns;
  } catch {
    // not in a pod
  }
  return "default";
}

withServerOptions(
  program
    .command("operator")
    .description(
      "run the Kubernetes operator (AccessToken -> token -> Secret), with the embedded token server by default",
    )
    .option("--kubeconfig <path>", "kubeconfig file (default: in-cluster, else KUBECONFIG or ~/.kube/config)")
    .option("--namespace <namespace>", "watch only this namespace (default: all)")
    .option(
      "--embedded-server",
      "run the embedded token server, registered as ClusterTokenServer embedded (default)",
    )
    .option("--no-embedded-server", "do not run it: AccessTokens use TokenServers and ClusterTokenServers")
    .addOption(
      new Option(
        "--leader-election-namespace <namespace>",
        "namespace of the leader election Lease (default: POD_NAMESPACE, else the service account's, else default)",
      ),
    )
    .option("--leader-election-id <name>", "name of the Lease", DEFAULT_LEADER_ELECTION_ID)
    .addOption(
      new Option(
        "--cluster-name <name>",
        "this cluster's name in server user names (default: the kube-system namespace's UID)",
      ).env("TOKENPLANE_CLUSTER_NAME"),
    ),
)
  .addHelpText(
    "after",
    `${SERVER_ENVIRONMENT}
  POD_NAME                 leader election identity (default: hostname and a random suffix)
  POD_NAMESPACE            default for --leader-election-namespace
  TOKENPLANE_CLUSTER_NAME  same as --cluster-name
  TOKENPLANE_EMBEDDED_URL  the embedded server's URL as registered in ClusterTokenServer embedded
                           (default http://tokenplane.<POD_NAMESPACE>.svc:<port>)
  TOKENPLANE_ADMIN_SECRET, TOKENPLANE_ADMIN_SECRET_KEY
                           the Secret (in the operator's namespace) and key registered as holding
                           the embedded server's admin token (default ${DEFAULT_ADMIN_SECRET.name}, ${DEFAULT_ADMIN_SECRET.key})

One port serves the token API (when embedded), /healthz, /readyz and /metrics. Every replica
serves the token API; only the leader reconciles. SIGTERM drains in-flight work, releases the
Lease and stops the server.`,
  )
  .action(
    async (
      flags: ServerFlags & {
        kubeconfig?: string;
        namespace?: string;
        embeddedServer?: boolean;
        leaderElectionNamespace?: string;
        leaderElectionId: string;
        clusterName?: string;
      },
    ) => {
      const {
        kubeconfig,
        namespace,
        embeddedServer,
        leaderElectionNamespace,
        leaderElectionId,
        clusterName,
        ...server
      } = flags;
      const { createLogger, serverOptionsFromEnv } = await serverPart();
      const { defaultIdentity, runOperator } = await operatorPart();
      const options = serverOptionsFromEnv(process.env, withoutDefaults(server));
      const log = createLogger({ level: options.logLevel });
      const leaseNs = leaseNamespace(leaderElectionNamespace);
      const operator = await runOperator({
        kubeConfig: await loadKubeConfig(kubeconfig),
        ...(namespace ? { namespace } : {}),
        tokenServer:
          embeddedServer !== false
            ? { embedded: options }
            : { none: { port: options.port ?? DEFAULT_PORT, host: options.host ?? "0.0.0.0" } },
        leaderElection: { namespace: leaseNs, id: leaderElectionId, identity: defaultIdentity() },
        ...(clusterName ? { clusterName } : {}),
        embeddedRegistration: {
          ...embeddedUrl(),
          credentialsSecretRef: {
            namespace: leaseNs,
            name: process.env.TOKENPLANE_ADMIN_SECRET || DEFAULT_ADMIN_SECRET.name,
            key: process.env.TOKENPLANE_ADMIN_SECRET_KEY || DEFAULT_ADMIN_SECRET.key,
          },
        },
        log,
      });
      announceAdminToken(operator.server?.generatedAdminToken);
      untilSignalled(() => operator.stop());
    },
  );

program
  .command("generate-token")
  .description("print a fresh, well-formed random token (e.g. for TOKENPLANE_ADMIN_TOKEN)")
  .addOption(
    new Option("--kind <kind>", "secret or publishable").choices(["secret", "publishable"]).default("secret"),
  )
  .action((flags: { kind: "secret" | "publishable" }) => {
    process.stdout.write(`${generateToken(flags.kind)}\n`);
  });

program
  .command("crds")
  .description("print the CustomResourceDefinitions (AccessToken, TokenServer, ClusterTokenServer) as YAML")
  .addHelpText("after", "\nExample:\n  tokenplane crds | kubectl apply --server-side -f -")
  .action(async () => {
    const { renderCrdsYaml } = await import("./crd/index.js");
    process.stdout.write(renderCrdsYaml());
  });

program
  .command("terraform-provider")
  .description("run as the Terraform provider plugin (Terraform starts this; see README, Terraform provider)")
  .action(async () => (await import("./terraform/index.js")).runTerraformProvider());

registerPeopleCommands(program);

program.parseAsync(process.argv).catch(exitWithFailure);
