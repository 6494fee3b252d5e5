#!/usr/bin/env node
import { setFlagsFromString } from "node:v8";

/*
 * V8 grows the young generation to 16 MB per semi-space under the allocation burst of
 * start-up and never gives it back; for an idle token server or operator that was ~15 MB of
 * its resident memory. Keeping it at its initial 1 MB costs more frequent, cheap scavenges.
 * The growth factor is read at every scavenge, so setting it here works where a node flag
 * could not be carried (`npx tokenplane`, `node dist/cli.js`) — but only before the program's
 * modules are even parsed, hence the dynamic import.
 */
setFlagsFromString("--semi-space-growth-factor=1");

await import("./cli-program.js");
