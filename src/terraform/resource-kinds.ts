import type { ManagementApi } from "../client/index.js";
import type { ValueObject } from "./cty-value.js";
import type { Diagnostic, PathStep } from "./diagnostics.js";
import type { PluginLog } from "./log.js";
import type { BlockSpec } from "./schema.js";

/** What every resource, data source and ephemeral resource gets once the provider is configured. */
export interface ProviderContext {
  api: ManagementApi;
  log: PluginLog;
}

export interface PlanInput {
  prior: ValueObject | null;
  proposed: ValueObject;
  config: ValueObject;
  now: Date;
}

export interface Plan {
  planned: ValueObject;
  requiresReplace?: PathStep[][];
  /** Carried to apply as planned_private (JSON). */
  private?: Record<string, unknown>;
}

/** A managed resource type: plan, CRUD, refresh and import. */
export interface ManagedResource {
  typeName: string;
  schema: BlockSpec;
  /** Attributes (by name) whose values are sets, for naming them in diagnostics. */
  sets?: ReadonlySet<string>;
  validate?(config: ValueObject): Diagnostic[];
  plan(input: PlanInput): Plan;
  create(ctx: ProviderContext, planned: ValueObject, config: ValueObject): Promise<ValueObject>;
  /** The object as the server has it now; null when it is gone (Terraform drops it from state). */
  read(ctx: ProviderContext, state: ValueObject): Promise<ValueObject | null>;
  update(
    ctx: ProviderContext,
    prior: ValueObject,
    planned: ValueObject,
    config: ValueObject,
    privateData: Record<string, unknown>,
  ): Promise<ValueObject>;
  delete(ctx: ProviderContext, prior: ValueObject): Promise<void>;
  importState(ctx: ProviderContext, id: string): Promise<ValueObject>;
}

export interface DataSource {
  typeName: string;
  schema: BlockSpec;
  validate?(config: ValueObject): Diagnostic[];
  read(ctx: ProviderContext, config: ValueObject): Promise<ValueObject>;
}

export interface EphemeralResource {
  typeName: string;
  schema: BlockSpec;
  validate?(config: ValueObject): Diagnostic[];
  open(
    ctx: ProviderContext,
    config: ValueObject,
  ): Promise<{ result: ValueObject; private?: Record<string, unknown> }>;
  close?(ctx: ProviderContext, privateData: Record<string, unknown>): Promise<void>;
}
