#!/usr/bin/env node
import { Command, InvalidArgumentError, Option } from "commander";
import { generateToken } from "./core/index.js";
import { renderCrdsYaml } from "./operator/index.js";
import { DEFAULT_DATA_DIR, DEFAULT_PORT, serverOptionsFromEnv, startServer } from "./server/index.js";

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
  .name("tokenplane")
  .description("Issue, verify and rotate API access tokens on Kubernetes")
  .version("0.1.0")
  .showHelpAfterError();

program
  .command("server")
  .description("run the token server (embedded PGlite by default, PostgreSQL with --database-url)")
  .addOption(
    new Option("--port <port>", `port to listen on (default ${DEFAULT_PORT})`)
      .argParser(port)
      .env("TOKENPLANE_PORT"),
  )
  .addOption(new Option("--host <address>", "address to listen on (default 0.0.0.0)").env("TOKENPLANE_HOST"))
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
    new Option("--log-level <level>", "trace, debug, info, warn, error or silent").env(
      "TOKENPLANE_LOG_LEVEL",
    ),
  )
  .addHelpText(
    "after",
    `
Environment:
  TOKENPLANE_ADMIN_TOKEN   the admin token (at least 32 characters); otherwise one is
                           generated on first start and printed once
  TOKENPLANE_PEPPER        hashing key(s): "<version>:<secret>,..." (required with PostgreSQL;
                           the embedded default keeps a generated one in the data directory)
  TOKENPLANE_TRUST_PROXY   which proxies may set X-Forwarded-For (e.g. "loopback, 10.0.0.0/8")`,
  )
  .action(
    async (flags: {
      port?: number;
      host?: string;
      dataDir?: string;
      databaseUrl?: string;
      adminTokenFile?: string;
      logLevel?: string;
    }) => {
      const options = serverOptionsFromEnv(process.env, flags);
      const server = await startServer(options);
      if (server.generatedAdminToken) {
        // Shown once, outside the structured log; it is stored only as a keyed hash.
        process.stderr.write(
          `\ntokenplane: generated the admin token. It is shown only this once; store it now:\n\n  ${server.generatedAdminToken}\n\n`,
        );
      }
      untilSignalled(server.close);
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
  .action(() => {
    process.stdout.write(renderCrdsYaml());
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  console.error(`tokenplane: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
