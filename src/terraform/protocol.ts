import { fileURLToPath } from "node:url";
import { loadPackageDefinition, type GrpcObject, type ServiceDefinition } from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";

/**
 * The .proto files are loaded at run time with proto-loader: no protoc (not installable
 * here) and no generated code to keep in step; the TypeScript shapes live in
 * provider-service.ts, schema.ts and diagnostics.ts. The build copies proto/ into dist.
 */
const PROTO_DIR = fileURLToPath(new URL("./proto/", import.meta.url));

export interface PluginServices {
  provider: ServiceDefinition;
  controller: ServiceDefinition;
  stdio: ServiceDefinition;
  broker: ServiceDefinition;
  health: ServiceDefinition;
}

function service(root: GrpcObject, path: string): ServiceDefinition {
  let node: unknown = root;
  for (const part of path.split(".")) node = (node as Record<string, unknown>)[part];
  const definition = (node as { service?: ServiceDefinition } | undefined)?.service;
  if (!definition) throw new Error(`service ${path} missing from the protocol definitions`);
  return definition;
}

/** The loaded definitions, with client constructors (for tests and tools that talk to a plugin). */
export function loadPluginPackage(): GrpcObject {
  return loadPackageDefinition(
    loadSync(["tfplugin6.proto", "go-plugin.proto", "health.proto"], {
      includeDirs: [PROTO_DIR],
      keepCase: true,
      longs: Number,
      enums: String,
      defaults: true,
      oneofs: true,
    }),
  );
}

export function loadPluginServices(): PluginServices {
  const definition = loadSync(["tfplugin6.proto", "go-plugin.proto", "health.proto"], {
    includeDirs: [PROTO_DIR],
    keepCase: true,
    longs: Number,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const root = loadPackageDefinition(definition);
  return {
    provider: service(root, "tfplugin6.Provider"),
    controller: service(root, "plugin.GRPCController"),
    stdio: service(root, "plugin.GRPCStdio"),
    broker: service(root, "plugin.GRPCBroker"),
    health: service(root, "grpc.health.v1.Health"),
  };
}
