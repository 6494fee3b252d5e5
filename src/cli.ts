#!/usr/bin/env node
import { setFlagsFromString } from "node:v8";
import { pgliteWasm } from "./server/store/pglite-wasm.js";

// What runs is only guessed here, before the program (which reads argv and the environment
// properly) is even loaded: a wrong guess costs a little memory or CPU, never correctness.
const args = process.argv.slice(2);
const command = args.find((arg) => !arg.startsWith("-"));

/*
 * The operator's embedded server is sized for a cluster's own workloads, and the operator
 * runs on every cluster: its resident memory matters more than its last 5-10% of verify
 * throughput. V8 grows the young generation to 16 MB per semi-space under the allocation
 * burst of start-up and never gives it back; keeping it at its initial 1 MB saves ~8 MB of
 * RSS for the life of the process and costs more frequent scavenges (5-10% more CPU per
 * verification, measured). `tokenplane server` keeps V8's default, for throughput. The
 * growth factor is read at every scavenge, so setting it here works where a node flag could
 * not be carried (`npx tokenplane`, `node dist/cli.js`) — but only before the program's
 * modules are even parsed, hence the dynamic import.
 */
if (command === "operator") setFlagsFromString("--semi-space-growth-factor=1");

/*
 * The embedded store's WebAssembly (PostgreSQL, 9 MB) takes ~0.15 s of CPU to compile.
 * Started now, V8 compiles it on its background threads while the program's modules load.
 */
const embedded =
  (command === "server" || command === "operator") &&
  !process.env.DATABASE_URL &&
  !args.some((arg) => arg.startsWith("--database-url")) &&
  !args.includes("--no-embedded-server") &&
  !args.some((arg) => arg === "--help" || arg === "-h");
if (embedded) pgliteWasm().catch(() => undefined); // opening the store reports a failure

await import("./cli-program.js");
