#!/usr/bin/env node
import { setFlagsFromString } from "node:v8";

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
if (process.argv.slice(2).find((arg) => !arg.startsWith("-")) === "operator")
  setFlagsFromString("--semi-space-growth-factor=1");

await import("./cli-program.js");
