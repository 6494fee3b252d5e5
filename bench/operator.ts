/**
 * The operator benchmark (quality.md): AccessTokens applied at once → all Ready with Secrets,
 * against the Kubernetes API fixture (in this process), with the operator as its own process
 * as deployed (from dist/ when built). Reports Kubernetes API writes per token (with and
 * without Events), the total time against the measured cost of a write (the 2× budget), and
 * the operator's peak RSS.
 *
 * The budget is about the operator's own work, so the main run has the embedded token server
 * on PostgreSQL (a process of its own, as replicated installs run it); the default install
 * (PGlite inside the operator's process) is measured as well, for what users of it see.
 * BENCH_OPERATOR_TOKENS sets the main runs (default 1,000); BENCH_OPERATOR_MEMORY_TOKENS the embedded
 * memory run (default 10,000; 0 skips it). `tsx bench/operator.ts` runs it alone.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { createKubeClient, OPERATOR_CLUSTER_RULES, OPERATOR_NAMESPACE_RULES } from "../src/operator/index.js";
import { customResourceDefinitions } from "../src/crd/index.js";
import { startKubeApi, type KubeApi, type KubeObject } from "../test/support/kube-api/index.js";
import { procCpuSeconds } from "./process-cpu.js";
import { GC_HOOK_ARGS, procStatusMb, rssAfterGcMb } from "./resident-memory.js";
import { atMost, type ScenarioResult, type Target } from "./scenario.js";

const DIST_CLI = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const SRC_CLI = fileURLToPath(new URL("../src/cli.ts", import.meta.url));
const POSTGRES_PROCESS = fileURLToPath(new URL("../test/support/postgres-process.ts", import.meta.url));
const NAMESPACE = "bench";

type Storage = { kind: "pglite"; dataDir: string } | { kind: "postgres"; url: string };

interface OperatorProcess {
  url: string;
  /** Highest resident set size so far (Linux VmHWM), MB. */
  peakRssMb(): number;
  rssMb(): number;
  /** Resident set size after a forced full GC, MB. */
  rssAfterGcMb(): Promise<number>;
  /** CPU seconds used so far (user + system). */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

function tryRead<T>(read: () => T, fallback: T): T {
  try {
    return read();
  } catch {
    return fallback;
  }
}

/** The TCP port a process listens on (its socket inodes in /proc/net/tcp*). */
function listeningPort(pid: number): number | undefined {
  const inodes = new Set<string>();
  for (const fd of tryRead(() => readdirSync(`/proc/${pid}/fd`), [] as string[])) {
    const link = tryRead(() => readlinkSync(`/proc/${pid}/fd/${fd}`), "");
    const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1];
    if (inode) inodes.add(inode);
  }
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    for (const line of tryRead(() => readFileSync(file, "utf8"), "")
      .split("\n")
      .slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[3] === "0A" && inodes.has(cols[9] ?? "")) return parseInt(cols[1]?.split(":")[1] ?? "0", 16);
    }
  }
  return undefined;
}

async function startOperator(kubeconfig: string, storage: Storage): Promise<OperatorProcess> {
  const node = [
    process.execPath,
    ...GC_HOOK_ARGS,
    ...(existsSync(DIST_CLI) ? [DIST_CLI] : ["--import", "tsx", SRC_CLI]),
  ];
  const profile = process.env.BENCH_OPERATOR_PROFILE;
  if (profile) node.splice(1, 0, "--cpu-prof", `--cpu-prof-dir=${profile}`);
  const args = [...node, "operator", "--kubeconfig", kubeconfig, "--namespace", NAMESPACE, "--port", "0"];
  // Under `npm run bench`, servers run on CPUs of their own, apart from the load (the fixture).
  const cpus = process.env.BENCH_SERVER_CPUS;
  const [file, ...rest] = cpus ? ["taskset", "-c", cpus, ...args] : args;
  const child: ChildProcess = spawn(file as string, rest, {
    env: {
      ...process.env,
      ...(storage.kind === "pglite"
        ? { TOKENPLANE_DATA_DIR: storage.dataDir }
        : { DATABASE_URL: storage.url, TOKENPLANE_PEPPER: `1:${randomBytes(32).toString("hex")}` }),
      TOKENPLANE_ADMIN_TOKEN: randomBytes(24).toString("hex"),
      TOKENPLANE_HOST: "127.0.0.1",
      TOKENPLANE_LOG_LEVEL: "warn",
      POD_NAME: "bench-operator",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let err = "";
  child.stderr?.on("data", (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
  child.stdout?.resume();
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  // taskset execs the command: the operator keeps this pid.
  const pid = child.pid ?? 0;
  const deadline = Date.now() + 60_000;
  let port: number | undefined;
  while (!(port = listeningPort(pid))) {
    if (Date.now() > deadline || child.exitCode !== null)
      throw new Error(`the operator did not start: ${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `http://127.0.0.1:${port}`,
    peakRssMb: () => procStatusMb(pid, "VmHWM"),
    rssMb: () => procStatusMb(pid, "VmRSS"),
    rssAfterGcMb: () => rssAfterGcMb(child),
    cpuSeconds: () => procCpuSeconds(pid),
    stop: async () => {
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/** A PostgreSQL of its own (the tests' helper process) with a fresh database. */
async function startPostgres(): Promise<{ url: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ["--import", "tsx", POSTGRES_PROCESS], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      const line = out.split("\n").find((l) => l.startsWith("{") && l.endsWith("}"));
      if (line) resolve((JSON.parse(line) as { url: string }).url);
    });
    child.once("exit", (code) => reject(new Error(`postgres exited with ${code}`)));
  });
  const name = `bench_operator_${randomBytes(4).toString("hex")}`;
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  await db.query(`CREATE DATABASE ${name}`);
  await db.end();
  return {
    url: url.replace(/\/postgres$/, `/${name}`),
    stop: async () => {
      child.kill("SIGTERM");
      await exited;
    },
  };
}

async function fixture(historyLimit: number): Promise<{ kube: KubeApi; kubeconfig: string; dir: string }> {
  const kube = await startKubeApi({
    crds: customResourceDefinitions() as unknown as KubeObject[],
    namespaces: [NAMESPACE, "scratch"],
    rbac: { rules: [...OPERATOR_CLUSTER_RULES, ...OPERATOR_NAMESPACE_RULES] },
    historyLimit,
  });
  const dir = mkdtempSync(join(tmpdir(), "tokenplane-bench-operator-"));
  const kubeconfig = join(dir, "kubeconfig");
  writeFileSync(kubeconfig, kube.kubeConfigYaml({ namespace: NAMESPACE }));
  return { kube, kubeconfig, dir };
}

/**
 * Milliseconds per write through the operator's own client, for the writes an AccessToken
 * costs: its finalizer (a merge patch of the AccessToken), its Secret (a create) and its
 * status (a merge patch of /status, which the API server validates against the CRD's schema
 * and rules) — `n` of each, one after another, on AccessTokens the operator does not watch.
 */
async function perWriteMs(kube: KubeApi, n: number): Promise<number> {
  const client = createKubeClient(kube.kubeConfig(), { fieldManager: "bench" });
  const base = `/apis/tokenplane.dev/v1alpha1/namespaces/scratch/accesstokens`;
  const status = {
    observedGeneration: 1,
    conditions: [
      {
        type: "Ready",
        status: "True",
        reason: "Issued",
        message: "Secret x holds token 8e0c1d1e-1111-4e0e-9d55-2c1f7c6a9e10 (revision 1, never expires)",
        observedGeneration: 1,
        lastTransitionTime: "2025-01-01T00:00:00Z",
      },
    ],
    tokenId: "8e0c1d1e-1111-4e0e-9d55-2c1f7c6a9e10",
    secretName: "x",
    issuedAt: "2025-01-01T00:00:00.000Z",
    revision: 1,
    lastRotationReason: "Initial",
  };
  const writes = async (name: string) => {
    await client.mergePatch(`${base}/${name}`, { metadata: { finalizers: ["example.com/bench"] } });
    await client.create(`/api/v1/namespaces/scratch/secrets`, {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name, namespace: "scratch", labels: { bench: "yes" } },
      data: { token: randomBytes(40).toString("base64") },
    });
    await client.mergePatch(`${base}/${name}/status`, { status });
  };
  try {
    const names = Array.from({ length: n + 20 }, (_, i) => `sample-${i}`);
    for (const name of names)
      kube.create({
        apiVersion: "tokenplane.dev/v1alpha1",
        kind: "AccessToken",
        metadata: { name, namespace: "scratch" },
        spec: { type: "read-only" },
      });
    for (const name of names.slice(0, 20)) await writes(name);
    const started = performance.now();
    for (const name of names.slice(20)) await writes(name);
    return (performance.now() - started) / (3 * n);
  } finally {
    client.close();
  }
}

interface Run {
  seconds: number;
  perWriteMs: number;
  writesPerToken: number;
  eventsPerToken: number;
  operatorWrites: number;
  /** Ready and leading, before any AccessToken, after a forced GC. */
  idleRssMb: number;
  peakRssMb: number;
  settledRssMb: number;
  /** CPU seconds during the run: the operator's process, and this one (the Kubernetes API fixture). */
  operatorCpu: number;
  fixtureCpu: number;
}

type Listed = KubeObject & { status?: { conditions?: { type: string; status: string }[] } };

async function applyAndWait(count: number, storage: Storage["kind"]): Promise<Run> {
  const { kube, kubeconfig, dir } = await fixture(Math.max(20_000, count * 8));
  const postgres = storage === "postgres" ? await startPostgres() : undefined;
  let operator: OperatorProcess | undefined;
  try {
    const perWrite = await perWriteMs(kube, 200);
    operator = await startOperator(
      kubeconfig,
      postgres ? { kind: "postgres", url: postgres.url } : { kind: "pglite", dataDir: join(dir, "data") },
    );
    const op = operator;
    // Caches synced and leading: ready to reconcile.
    for (;;) {
      const metrics = await fetch(`${op.url}/metrics`).then(
        (r) => r.text(),
        () => "",
      );
      const ready = await fetch(`${op.url}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ready && /^tokenplane_operator_leader 1/m.test(metrics)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const idleRssMb = await op.rssAfterGcMb();
    kube.requests.clear();
    const operatorCpuBefore = op.cpuSeconds();
    const fixtureCpuBefore = process.cpuUsage();
    const started = performance.now();
    for (let i = 0; i < count; i++) {
      kube.create({
        apiVersion: "tokenplane.dev/v1alpha1",
        kind: "AccessToken",
        metadata: { name: `token-${i}`, namespace: NAMESPACE },
        spec: { type: "read-only" },
      });
    }
    // Counting the operator's writes is free; listing clones every object (in this process,
    // which also serves the API), so it is done only to confirm.
    const written = (resource: string) => kube.requests.writes({ resource, successfulOnly: true });
    for (;;) {
      if (written("accesstokens.tokenplane.dev/status") >= count && written("secrets") >= count) {
        const ready = kube
          .list<Listed>("accesstokens.tokenplane.dev", { namespace: NAMESPACE })
          .filter((a) => a.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True")).length;
        if (ready === count && kube.list("secrets", { namespace: NAMESPACE }).length === count) break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    const seconds = (performance.now() - started) / 1000;
    const fixtureCpu = process.cpuUsage(fixtureCpuBefore);
    const operatorCpu = op.cpuSeconds() - operatorCpuBefore;
    await kube.settle();
    const byResource = kube.requests.writesByResource();
    const sum = (r: string) => Object.values(byResource[r] ?? {}).reduce((a, b) => a + b, 0);
    const tokenWrites =
      sum("accesstokens.tokenplane.dev") + sum("accesstokens.tokenplane.dev/status") + sum("secrets");
    const events = sum("events") + sum("events.events.k8s.io");
    return {
      seconds,
      perWriteMs: perWrite,
      writesPerToken: tokenWrites / count,
      eventsPerToken: events / count,
      operatorWrites: kube.requests.writes() - tokenWrites - events,
      idleRssMb,
      peakRssMb: op.peakRssMb(),
      settledRssMb: await op.rssAfterGcMb(),
      operatorCpu,
      fixtureCpu: (fixtureCpu.user + fixtureCpu.system) / 1e6,
    };
  } finally {
    await operator?.stop();
    await postgres?.stop();
    await kube.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

export async function operatorBench(): Promise<ScenarioResult> {
  const count = Number(process.env.BENCH_OPERATOR_TOKENS ?? 1000);
  const memoryCount = Number(process.env.BENCH_OPERATOR_MEMORY_TOKENS ?? 10_000);
  const main = await applyAndWait(count, "postgres");
  const embedded = await applyAndWait(count, "pglite");
  const budgetSeconds = (count * main.writesPerToken * main.perWriteMs) / 1000;
  const ratio = round(main.seconds / budgetSeconds);
  // Names fit run.ts's table (42 characters).
  const metrics: Record<string, number> = {
    [`${count} ATs → Ready (PostgreSQL), s`]: round(main.seconds),
    "writes per token (excl. Events)": round(main.writesPerToken),
    "writes per token (incl. Events)": round(main.writesPerToken + main.eventsPerToken),
    "operator-level writes (Lease, CTS)": main.operatorWrites,
    "measured cost of one write, ms": round(main.perWriteMs, 3),
    "time / (tokens × writes × write cost)": ratio,
    [`peak RSS, ${count} ATs (PostgreSQL), MB`]: main.peakRssMb,
    "CPU s in the run: operator": round(main.operatorCpu),
    "CPU s in the run: API fixture": round(main.fixtureCpu),
    [`${count} ATs → Ready (embedded PGlite), s`]: round(embedded.seconds),
    "time / budget (embedded PGlite)": round(embedded.seconds / budgetSeconds),
    [`peak RSS, ${count} ATs (embedded PGlite), MB`]: embedded.peakRssMb,
    "RSS idle (embedded PGlite), MB": embedded.idleRssMb,
  };
  const targets: Target[] = [
    atMost("writes per AccessToken (excl. Events)", round(main.writesPerToken), 3, ""),
    atMost("time vs. tokens × writes × write cost", ratio, 2),
    atMost("operator RSS idle (embedded)", embedded.idleRssMb, 150, " MB"),
  ];
  if (memoryCount > 0) {
    // The default install: the embedded server's PGlite in the operator's process.
    const memory = await applyAndWait(memoryCount, "pglite");
    metrics[`${memoryCount} ATs → Ready (embedded PGlite), s`] = round(memory.seconds);
    metrics[`peak RSS, ${memoryCount} ATs (embedded), MB`] = memory.peakRssMb;
    metrics[`RSS, ${memoryCount} ATs settled (after GC), MB`] = memory.settledRssMb;
    // The target is what the operator holds with them (kubectl top between bursts); the peak
    // while 10,000 are reconciled at once is reported beside it.
    targets.push(atMost(`operator RSS, ${memoryCount} ATs (embedded)`, memory.settledRssMb, 250, " MB"));
  }
  return { name: "operator (AccessTokens applied at once → Ready with Secrets)", metrics, targets };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.stdout.write(`${JSON.stringify(await operatorBench(), null, 2)}\n`);
  process.exit(0);
}
