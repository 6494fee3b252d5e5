import { type CtyType } from "./cty-type.js";
import {
  decodeJson,
  decodeMsgpack,
  encodeMsgpack,
  isWhollyKnown,
  type Value,
  type ValueObject,
} from "./cty-value.js";
import { accessTokenDataSource, resourcesDataSource, userDataSource } from "./data-sources.js";
import {
  apiDiagnostics,
  DiagnosticsError,
  errorAt,
  protoDiagnostic,
  type Diagnostic,
  type PathStep,
  type ProtoDiagnostic,
} from "./diagnostics.js";
import { accessTokenEphemeral } from "./ephemeral-access-token.js";
import type { PluginLog } from "./log.js";
import { connectionFrom, providerSchema } from "./provider-config.js";
import { accessTokenResource } from "./resource-access-token.js";
import { defaultPermissionsResource } from "./resource-default-permissions.js";
import type { DataSource, EphemeralResource, ManagedResource, ProviderContext } from "./resource-kinds.js";
import { registryEntryResource } from "./resource-registry-entry.js";
import { userResource } from "./resource-user.js";
import { blockType, protoSchema, type BlockSpec } from "./schema.js";

export const RESOURCES: readonly ManagedResource[] = [
  userResource,
  registryEntryResource,
  defaultPermissionsResource,
  accessTokenResource,
];
export const DATA_SOURCES: readonly DataSource[] = [
  userDataSource,
  accessTokenDataSource,
  resourcesDataSource,
];
export const EPHEMERAL_RESOURCES: readonly EphemeralResource[] = [accessTokenEphemeral];

/** DynamicValue as the protocol carries it: msgpack, or JSON in a few places. */
interface Dynamic {
  msgpack?: Buffer;
  json?: Buffer;
}
type Bytes = Buffer | undefined | null;

interface TypedRequest {
  type_name: string;
}

const diags = (list: Diagnostic[]): ProtoDiagnostic[] => list.map(protoDiagnostic);

function decode(type: CtyType, dv: Dynamic | null | undefined): Value {
  if (!dv) return null;
  if (dv.msgpack && dv.msgpack.length > 0) return decodeMsgpack(type, dv.msgpack);
  if (dv.json && dv.json.length > 0) return decodeJson(type, JSON.parse(dv.json.toString("utf8")));
  return null;
}
const decodeObject = (schema: BlockSpec, dv: Dynamic | null | undefined): ValueObject | null =>
  decode(blockType(schema), dv) as ValueObject | null;
const encode = (schema: BlockSpec, value: Value): Dynamic => ({
  msgpack: Buffer.from(encodeMsgpack(blockType(schema), value)),
});

const readPrivate = (bytes: Bytes): Record<string, unknown> => {
  if (!bytes || bytes.length === 0) return {};
  try {
    return JSON.parse(bytes.toString("utf8")) as Record<string, unknown>;
  } catch {
    return {};
  }
};
const writePrivate = (data: Record<string, unknown> | undefined): Buffer =>
  data ? Buffer.from(JSON.stringify(data)) : Buffer.alloc(0);

function toDiagnostics(err: unknown, what: string, sets?: ReadonlySet<string>): Diagnostic[] {
  if (err instanceof DiagnosticsError) return err.diagnostics;
  return apiDiagnostics(err, what, sets);
}

function byName<T extends { typeName: string }>(list: readonly T[], name: string, what: string): T {
  const found = list.find((r) => r.typeName === name);
  if (!found) throw new DiagnosticsError([errorAt(undefined, `Unknown ${what} type "${name}"`)]);
  return found;
}

const capabilities = { plan_destroy: false, get_provider_schema_optional: false, move_resource_state: false };

/**
 * The tfplugin6 Provider service: each RPC decodes its values with the type's schema,
 * calls the resource's logic and answers with values and diagnostics. Nothing here throws
 * to gRPC: failures are diagnostics, which is how Terraform reports them to the user.
 */
export function providerService(log: PluginLog, env: NodeJS.ProcessEnv = process.env) {
  let ctx: ProviderContext | undefined;
  let notYet: Diagnostic[] = [];
  const configured = (): ProviderContext => {
    if (notYet.length > 0) throw new DiagnosticsError(notYet);
    if (!ctx) throw new DiagnosticsError([errorAt(undefined, "The tokenplane provider is not configured")]);
    return ctx;
  };

  /** Runs `work`, turning any failure into diagnostics merged into the answer. */
  async function guarded<T extends object>(
    what: string,
    sets: ReadonlySet<string> | undefined,
    work: () => Promise<T>,
    fallback: Partial<T>,
  ): Promise<Partial<T> & { diagnostics: ProtoDiagnostic[] }> {
    try {
      const answer = await work();
      return { diagnostics: [], ...answer };
    } catch (err) {
      const list = toDiagnostics(err, what, sets);
      log("error", `${what} failed`, { summary: list.map((d) => d.summary).join("; ") });
      return { ...fallback, diagnostics: diags(list) };
    }
  }

  const schemas = <T extends { typeName: string; schema: BlockSpec }>(list: readonly T[]) =>
    Object.fromEntries(list.map((r) => [r.typeName, protoSchema(r.schema)]));

  return {
    GetMetadata: async () => ({
      server_capabilities: capabilities,
      diagnostics: [],
      resources: RESOURCES.map((r) => ({ type_name: r.typeName })),
      data_sources: DATA_SOURCES.map((r) => ({ type_name: r.typeName })),
      ephemeral_resources: EPHEMERAL_RESOURCES.map((r) => ({ type_name: r.typeName })),
      functions: [],
    }),

    GetProviderSchema: async () => ({
      provider: protoSchema(providerSchema),
      resource_schemas: schemas(RESOURCES),
      data_source_schemas: schemas(DATA_SOURCES),
      ephemeral_resource_schemas: schemas(EPHEMERAL_RESOURCES),
      functions: {},
      diagnostics: [],
      server_capabilities: capabilities,
    }),

    GetFunctions: async () => ({ functions: {}, diagnostics: [] }),

    CallFunction: async () => ({ error: { text: "the tokenplane provider has no functions" } }),

    StopProvider: async () => ({ Error: "" }),

    ValidateProviderConfig: (req: { config: Dynamic }) =>
      guarded(
        "validating the provider configuration",
        undefined,
        async () => {
          const config = decodeObject(providerSchema, req.config) ?? {};
          const url = config.url;
          if (typeof url === "string" && !/^https?:\/\/[^/]/.test(url))
            throw new DiagnosticsError([
              errorAt(["url"], "Invalid provider url", "must be an http or https URL"),
            ]);
          return {};
        },
        {},
      ),

    ConfigureProvider: (req: { config: Dynamic; terraform_version: string }) =>
      guarded(
        "configuring the provider",
        undefined,
        async () => {
          const config = decodeObject(providerSchema, req.config) ?? {};
          // Values known only after apply (an ephemeral token during plan, say) are fine until
          // something needs the server; Terraform defers what depends on them.
          notYet = Object.keys(providerSchema.attributes)
            .filter((k) => !isWhollyKnown(config[k] ?? null))
            .map((k) =>
              errorAt(
                [k],
                `Provider ${k} is not known yet`,
                "Make what uses this provider depend on what sets it.",
              ),
            );
          if (notYet.length > 0) return {};
          const result = connectionFrom(config, env);
          if (!result.api) throw new DiagnosticsError(result.diagnostics);
          ctx = { api: result.api, log };
          log("debug", "provider configured", { terraform_version: req.terraform_version });
          return {};
        },
        {},
      ),

    ValidateResourceConfig: (req: TypedRequest & { config: Dynamic }) =>
      guarded(
        `validating ${req.type_name}`,
        undefined,
        async () => {
          const r = byName(RESOURCES, req.type_name, "resource");
          const config = decodeObject(r.schema, req.config) ?? {};
          const found = r.validate?.(config) ?? [];
          if (found.length > 0) throw new DiagnosticsError(found);
          return {};
        },
        {},
      ),

    ValidateDataResourceConfig: (req: TypedRequest & { config: Dynamic }) =>
      guarded(
        `validating data source ${req.type_name}`,
        undefined,
        async () => {
          const r = byName(DATA_SOURCES, req.type_name, "data source");
          const found = r.validate?.(decodeObject(r.schema, req.config) ?? {}) ?? [];
          if (found.length > 0) throw new DiagnosticsError(found);
          return {};
        },
        {},
      ),

    ValidateEphemeralResourceConfig: (req: TypedRequest & { config: Dynamic }) =>
      guarded(
        `validating ephemeral ${req.type_name}`,
        undefined,
        async () => {
          const r = byName(EPHEMERAL_RESOURCES, req.type_name, "ephemeral resource");
          const found = r.validate?.(decodeObject(r.schema, req.config) ?? {}) ?? [];
          if (found.length > 0) throw new DiagnosticsError(found);
          return {};
        },
        {},
      ),

    UpgradeResourceState: (req: TypedRequest & { version: number; raw_state: { json?: Buffer } | null }) =>
      guarded(
        `upgrading the state of ${req.type_name}`,
        undefined,
        async () => {
          const r = byName(RESOURCES, req.type_name, "resource");
          if (req.version > (r.schema.version ?? 0))
            throw new DiagnosticsError([
              errorAt(
                undefined,
                `State of ${req.type_name} was written by a newer provider (schema ${req.version})`,
              ),
            ]);
          const json = req.raw_state?.json;
          const state =
            json && json.length > 0
              ? decodeJson(blockType(r.schema), JSON.parse(json.toString("utf8")))
              : null;
          return { upgraded_state: encode(r.schema, state) };
        },
        {},
      ),

    ReadResource: (req: TypedRequest & { current_state: Dynamic; private: Bytes }) => {
      const r = byName(RESOURCES, req.type_name, "resource");
      return guarded(
        `reading ${req.type_name}`,
        r.sets,
        async () => {
          const state = decodeObject(r.schema, req.current_state);
          const fresh = state ? await r.read(configured(), state) : null;
          if (state && !fresh)
            log("info", `${req.type_name} is gone from the server; removing it from state`);
          return { new_state: encode(r.schema, fresh), private: req.private ?? Buffer.alloc(0) };
        },
        { new_state: req.current_state },
      );
    },

    PlanResourceChange: (
      req: TypedRequest & {
        prior_state: Dynamic;
        proposed_new_state: Dynamic;
        config: Dynamic;
        prior_private: Bytes;
      },
    ) => {
      const r = byName(RESOURCES, req.type_name, "resource");
      return guarded(
        `planning ${req.type_name}`,
        r.sets,
        async () => {
          const proposed = decodeObject(r.schema, req.proposed_new_state);
          if (!proposed) return { planned_state: encode(r.schema, null), requires_replace: [] };
          const prior = decodeObject(r.schema, req.prior_state);
          const config = decodeObject(r.schema, req.config) ?? {};
          const plan = r.plan({ prior, proposed, config, now: new Date() });
          return {
            planned_state: encode(r.schema, plan.planned),
            requires_replace: (plan.requiresReplace ?? []).map(pathOf),
            planned_private: writePrivate(plan.private),
          };
        },
        {},
      );
    },

    ApplyResourceChange: (
      req: TypedRequest & {
        prior_state: Dynamic;
        planned_state: Dynamic;
        config: Dynamic;
        planned_private: Bytes;
      },
    ) => {
      const r = byName(RESOURCES, req.type_name, "resource");
      const prior = decodeObject(r.schema, req.prior_state);
      const planned = decodeObject(r.schema, req.planned_state);
      const verb = !planned ? "deleting" : !prior ? "creating" : "updating";
      return guarded(
        `${verb} ${req.type_name}`,
        r.sets,
        async () => {
          const c = configured();
          const config = decodeObject(r.schema, req.config) ?? {};
          let next: ValueObject | null;
          if (!planned) {
            if (prior) await r.delete(c, prior);
            next = null;
          } else if (!prior) next = await r.create(c, planned, config);
          else next = await r.update(c, prior, planned, config, readPrivate(req.planned_private));
          log("info", `${verb} ${req.type_name} done`);
          return { new_state: encode(r.schema, next), private: Buffer.alloc(0) };
        },
        { new_state: req.prior_state },
      );
    },

    ImportResourceState: (req: TypedRequest & { id: string }) => {
      const r = byName(RESOURCES, req.type_name, "resource");
      return guarded(
        `importing ${req.type_name}`,
        r.sets,
        async () => {
          const state = await r.importState(configured(), req.id);
          return {
            imported_resources: [
              { type_name: r.typeName, state: encode(r.schema, state), private: Buffer.alloc(0) },
            ],
          };
        },
        { imported_resources: [] },
      );
    },

    MoveResourceState: async () => ({
      diagnostics: diags([
        errorAt(undefined, "The tokenplane provider does not support moving state between resource types"),
      ]),
    }),

    ReadDataSource: (req: TypedRequest & { config: Dynamic }) => {
      const r = byName(DATA_SOURCES, req.type_name, "data source");
      return guarded(
        `reading data source ${req.type_name}`,
        undefined,
        async () => {
          const config = decodeObject(r.schema, req.config) ?? {};
          return { state: encode(r.schema, { ...config, ...(await r.read(configured(), config)) }) };
        },
        {},
      );
    },

    OpenEphemeralResource: (req: TypedRequest & { config: Dynamic }) => {
      const r = byName(EPHEMERAL_RESOURCES, req.type_name, "ephemeral resource");
      return guarded(
        `opening ephemeral ${req.type_name}`,
        undefined,
        async () => {
          const config = decodeObject(r.schema, req.config) ?? {};
          const opened = await r.open(configured(), config);
          return {
            result: encode(r.schema, opened.result),
            ...(opened.private ? { private: writePrivate(opened.private) } : {}),
          };
        },
        {},
      );
    },

    RenewEphemeralResource: async (req: { private: Bytes }) => ({ diagnostics: [], private: req.private }),

    CloseEphemeralResource: (req: TypedRequest & { private: Bytes }) => {
      const r = byName(EPHEMERAL_RESOURCES, req.type_name, "ephemeral resource");
      return guarded(
        `closing ephemeral ${req.type_name}`,
        undefined,
        async () => {
          const data = readPrivate(req.private);
          if (r.close && Object.keys(data).length > 0) await r.close(configured(), data);
          return {};
        },
        {},
      );
    },
  };
}

function pathOf(steps: PathStep[]) {
  return {
    steps: steps.map((s) => (typeof s === "number" ? { element_key_int: s } : { attribute_name: s })),
  };
}

export type ProviderService = ReturnType<typeof providerService>;
