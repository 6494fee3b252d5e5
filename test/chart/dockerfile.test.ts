import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import type { Rendered } from "../support/helm.js";
import { renderChart } from "../support/helm.js";

/*
 * The Dockerfile, checked statically (there is no Docker engine where the tests run): its stages,
 * what reaches the final one, the user, and that it agrees with what the chart runs.
 */

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const read = (path: string) => readFileSync(`${ROOT}/${path}`, "utf8");

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
}

/** Instructions grouped by stage; continuation lines joined, comments dropped. */
function parseDockerfile(text: string): { args: Record<string, string>; stages: Stage[] } {
  const lines = text
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const line of lines) {
    const [, op = "", rest = ""] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const instruction = { op: op.toUpperCase(), args: rest.replace(/\s+/g, " ") };
    if (instruction.op === "FROM") {
      const [, from = "", name] = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(instruction.args) ?? [];
      stages.push({ from, name, instructions: [] });
    } else if (stages.length === 0 && instruction.op === "ARG") {
      const [k, v = ""] = instruction.args.split("=");
      args[k!] = v;
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return { args, stages };
}

const dockerfile = parseDockerfile(read("Dockerfile"));
const stageNamed = (name: string) => dockerfile.stages.find((s) => s.name === name)!;
const final = dockerfile.stages.at(-1)!;
const all = (stage: Stage, op: string) => stage.instructions.filter((i) => i.op === op).map((i) => i.args);
const json = (args: string) => JSON.parse(args) as string[];
const resolve = (image: string) => image.replace(/\$\{(\w+)\}/g, (_m, k: string) => dockerfile.args[k] ?? "");

describe("Dockerfile", () => {
  let chart: Rendered;
  beforeAll(async () => {
    chart = await renderChart();
  });
  const container = () =>
    chart.one<{
      spec: {
        template: {
          spec: {
            securityContext: { runAsUser: number; runAsGroup: number };
            containers: Record<string, unknown>[];
          };
        };
      };
    }>("Deployment").spec.template.spec;

  it("builds in stages on Node 20 and runs on a distroless Node 20 without shell or npm", () => {
    expect(dockerfile.stages.map((s) => s.name)).toEqual(["build", "deps", undefined]);
    expect(resolve(stageNamed("build").from)).toMatch(/^node:20[-.]/);
    expect(resolve(stageNamed("deps").from)).toMatch(/^node:20[-.]/);
    expect(resolve(final.from)).toMatch(/^gcr\.io\/distroless\/nodejs20-debian\d+:nonroot$/);
    expect(all(final, "RUN")).toEqual([]);
  });

  it("installs only production dependencies, without install scripts, into the final stage", () => {
    expect(all(stageNamed("deps"), "RUN").join(" ")).toMatch(/npm ci --omit=dev --ignore-scripts/);
    // `prepare` (tsc) must not run on a dependency install: the build stage runs the build itself.
    expect(all(stageNamed("build"), "RUN")[0]).toMatch(/^npm ci --ignore-scripts/);
    const copies = all(final, "COPY");
    const fromStage = (c: string) => /--from=(\S+)/.exec(c)?.[1];
    expect(copies.filter((c) => c.includes("node_modules"))).toEqual([
      "--from=deps /src/node_modules ./node_modules",
    ]);
    expect(copies.map(fromStage)).toEqual(["deps", "deps", "build", "build"]);
    // From the build stage, only the compiled output and the empty data directory.
    expect(copies.filter((c) => fromStage(c) === "build").map((c) => c.split(" ").at(-2))).toEqual([
      "/src/dist",
      "/out/data",
    ]);
  });

  it("runs as the numeric non-root user the chart's security context names", () => {
    const [user] = all(final, "USER");
    expect(user).toMatch(/^\d+:\d+$/);
    const [uid, gid] = user!.split(":").map(Number);
    expect(uid).toBeGreaterThan(0);
    expect(container().securityContext).toMatchObject({ runAsUser: uid, runAsGroup: gid });
    expect(all(final, "COPY").find((c) => c.includes("/var/lib/tokenplane"))).toContain(
      `--chown=${uid}:${gid}`,
    );
  });

  it("has the entrypoint the chart runs, and its command", () => {
    const [entrypoint] = all(final, "ENTRYPOINT").map(json);
    const [cmd] = all(final, "CMD").map(json);
    const c = container().containers[0] as { command: string[]; args: string[] };
    expect(c.command).toEqual(entrypoint);
    expect(entrypoint?.at(-1)).toBe("/app/dist/cli.js");
    expect(all(final, "WORKDIR")).toEqual(["/app"]);
    expect(cmd).toEqual(["operator"]);
    expect(c.args[0]).toBe(cmd![0]);
  });

  it("exposes the port and declares the data volume the chart uses", () => {
    const c = container().containers[0] as {
      ports: { containerPort: number }[];
      volumeMounts: { name: string; mountPath: string }[];
    };
    expect(all(final, "EXPOSE")).toEqual([String(c.ports[0]!.containerPort)]);
    expect(all(final, "VOLUME").map(json)).toEqual([
      [c.volumeMounts.find((m) => m.name === "data")!.mountPath],
    ]);
    expect(all(final, "HEALTHCHECK")[0]).toContain(`http://127.0.0.1:${c.ports[0]!.containerPort}/healthz`);
  });

  it("labels the image with the version the chart's default tag names", () => {
    const chartYaml = parse(read("charts/tokenplane/Chart.yaml")) as { appVersion: string };
    const version = all(final, "ARG")
      .find((a) => a.startsWith("VERSION="))
      ?.split("=")[1];
    expect(version).toBe(chartYaml.appVersion);
    expect(all(final, "LABEL").join(" ")).toContain('org.opencontainers.image.version="${VERSION}"');
  });

  it("sends only what the build reads as context, and every file it copies is there", () => {
    const ignore = read(".dockerignore")
      .split("\n")
      .filter((l) => l && !l.startsWith("#"));
    expect(ignore[0]).toBe("*");
    const allowed = ignore.slice(1).map((l) => l.replace(/^!/, "").replace(/\/$/, ""));
    const copied = dockerfile.stages
      .flatMap((s) => all(s, "COPY"))
      .filter((c) => !c.includes("--from="))
      .flatMap((c) => c.split(" ").slice(0, -1));
    expect([...new Set(copied)].sort()).toEqual(allowed.sort());
    for (const path of copied) expect(existsSync(`${ROOT}/${path}`), path).toBe(true);
  });
});
