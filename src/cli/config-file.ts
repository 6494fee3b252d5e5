import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import * as z from "zod";
import { CliFailure } from "./failures.js";
import { yaml } from "./lazy-modules.js";

/*
 * The CLI's own configuration: contexts (a server URL and the token used there), like a
 * kubeconfig. It holds tokens, so it is written 0600 in a 0700 directory and never printed.
 */

const Context = z.strictObject({
  name: z.string().min(1, "must not be empty").max(200),
  server: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }),
  token: z.string().min(1, "must not be empty"),
});
export type Context = z.infer<typeof Context>;

const ConfigFile = z
  .strictObject({
    "current-context": z.string().optional(),
    contexts: z.array(Context).default([]),
  })
  .superRefine((config, ctx) => {
    const seen = new Set<string>();
    config.contexts.forEach((c, i) => {
      if (seen.has(c.name))
        ctx.addIssue({
          code: "custom",
          message: `duplicate context "${c.name}"`,
          path: ["contexts", i, "name"],
        });
      seen.add(c.name);
    });
  });
export type ConfigFile = z.infer<typeof ConfigFile>;

/** `$XDG_CONFIG_HOME/tokenplane/config.yaml`, `~/.config/tokenplane/config.yaml` by default. */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME || join(homedir(), ".config");
  return join(base, "tokenplane", "config.yaml");
}

function issuePath(path: PropertyKey[]): string {
  return path
    .map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
    .join("");
}

export function readConfig(file = configPath()): ConfigFile {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { contexts: [] };
    throw new CliFailure(`cannot read config file ${file}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = yaml().parse(text) ?? {};
  } catch (err) {
    throw new CliFailure(`config file ${file} is not valid YAML: ${(err as Error).message.split("\n")[0]}`);
  }
  const parsed = ConfigFile.safeParse(raw);
  if (!parsed.success) {
    const what = parsed.error.issues
      .map((i) => `${issuePath(i.path) || "(top level)"}: ${i.message}`)
      .join("; ");
    throw new CliFailure(`config file ${file} is invalid: ${what}`);
  }
  return parsed.data;
}

/** Writes through a temporary file, so a crash never leaves half a config (or a readable one). */
export function writeConfig(config: ConfigFile, file = configPath()): void {
  const dir = dirname(file);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, yaml().stringify(ConfigFile.parse(config)), { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

export function currentContext(config: ConfigFile): Context | undefined {
  const name = config["current-context"];
  return name === undefined ? undefined : config.contexts.find((c) => c.name === name);
}

/** Adds or replaces the context by name and makes it current. */
export function withContext(config: ConfigFile, context: Context): ConfigFile {
  return {
    "current-context": context.name,
    contexts: [...config.contexts.filter((c) => c.name !== context.name), context],
  };
}
