import {
  Server,
  ServerCredentials,
  status,
  type sendUnaryData,
  type ServerDuplexStream,
  type ServerUnaryCall,
  type ServerWritableStream,
  type UntypedServiceImplementation,
} from "@grpc/grpc-js";
import { generatePluginIdentity, parseClientCert } from "./auto-mtls.js";
import { checkLaunch, handshakeLine } from "./handshake.js";
import type { PluginLog } from "./log.js";
import { loadPluginServices } from "./protocol.js";
import type { ProviderService } from "./provider-service.js";

export interface RunningPlugin {
  address: string;
  /** Resolves once the server has stopped (GRPCController.Shutdown or stop()). */
  stopped: Promise<void>;
  stop(): Promise<void>;
}

type Handler = (request: never) => Promise<unknown>;

function unary(name: string, handler: Handler, log: PluginLog) {
  return (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
    log("trace", `rpc ${name}`);
    Promise.resolve()
      .then(() => handler(call.request as never))
      .then(
        (answer) => callback(null, answer),
        (err: unknown) => {
          log("error", `rpc ${name} failed`, { error: err instanceof Error ? err.message : String(err) });
          callback({ code: status.INTERNAL, details: err instanceof Error ? err.message : String(err) });
        },
      );
  };
}

/**
 * Serves the provider as go-plugin expects: gRPC on a loopback port with AutoMTLS (our own
 * certificate, only Terraform's client certificate accepted), the controller, stdio,
 * broker and health services, and the handshake line on stdout.
 */
export async function servePlugin(
  provider: ProviderService,
  log: PluginLog,
  env: NodeJS.ProcessEnv = process.env,
  writeStdout: (line: string) => void = (l) => process.stdout.write(l),
): Promise<RunningPlugin> {
  checkLaunch(env);
  const services = loadPluginServices();
  const server = new Server({ "grpc.max_receive_message_length": 256 * 1024 * 1024 });

  let resolveStopped: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (resolveStopped = resolve));
  // Ends the long-lived streams (stdio, broker, health watch) first: a graceful shutdown
  // waits for every open call, and Terraform kills a plugin that has not exited in 2 s.
  let signalClosing: () => void = () => undefined;
  const closing = new Promise<void>((resolve) => (signalClosing = resolve));
  let stopping = false;
  const stop = async () => {
    if (stopping) return stopped;
    stopping = true;
    signalClosing();
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, 500);
      server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
    resolveStopped();
  };

  const providerImpl: UntypedServiceImplementation = Object.fromEntries(
    Object.entries(provider).map(([name, fn]) => [name, unary(name, fn as Handler, log)]),
  );
  server.addService(services.provider, providerImpl);
  server.addService(services.controller, {
    Shutdown: (_call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
      log("debug", "shutdown requested by Terraform");
      callback(null, {});
      setImmediate(() => void stop());
    },
  });
  server.addService(services.stdio, {
    // Our stdout and stderr are Terraform's pipes already; the stream stays open and quiet.
    StreamStdio: (call: ServerWritableStream<unknown, unknown>) => {
      void closing.then(() => call.end());
      call.on("cancelled", () => call.end());
    },
  });
  server.addService(services.broker, {
    // No sub-plugins are brokered; hold the stream until Terraform closes it.
    StartStream: (call: ServerDuplexStream<unknown, unknown>) => {
      call.on("data", () => undefined);
      call.on("end", () => call.end());
      void closing.then(() => call.end());
    },
  });
  server.addService(services.health, {
    Check: (call: ServerUnaryCall<{ service: string }, unknown>, callback: sendUnaryData<unknown>) =>
      callback(null, {
        status:
          call.request.service === "" || call.request.service === "plugin" ? "SERVING" : "SERVICE_UNKNOWN",
      }),
    Watch: (call: ServerWritableStream<{ service: string }, unknown>) => {
      call.write({ status: "SERVING" });
      void closing.then(() => call.end());
    },
  });

  const clientCert = env.PLUGIN_CLIENT_CERT;
  let credentials: ServerCredentials;
  let handshakeCert = "";
  if (clientCert) {
    const identity = await generatePluginIdentity();
    handshakeCert = identity.handshakeCert;
    credentials = ServerCredentials.createSsl(
      Buffer.from(parseClientCert(clientCert)),
      [{ cert_chain: Buffer.from(identity.certPem), private_key: Buffer.from(identity.keyPem) }],
      true,
    );
  } else {
    log("warn", "PLUGIN_CLIENT_CERT not set: serving without TLS (Terraform always sets it)");
    credentials = ServerCredentials.createInsecure();
  }
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", credentials, (err, bound) => (err ? reject(err) : resolve(bound))),
  );
  const address = `127.0.0.1:${port}`;
  writeStdout(handshakeLine(address, handshakeCert));
  log("debug", "plugin serving", { address });
  return { address, stopped, stop };
}
