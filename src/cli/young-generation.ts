import { setFlagsFromString } from "node:v8";

/*
 * V8 grows the young generation to 16 MB per semi-space under the allocation burst of
 * start-up and never gives it back; for an idle token server or operator that was ~15 MB of
 * its resident memory. Keeping it at its initial 1 MB costs more frequent, cheap scavenges.
 * The growth factor is read at every scavenge, so setting it here, before the command's
 * modules load, works where a node flag could not be carried (`npx tokenplane`,
 * `node dist/cli.js`).
 */
setFlagsFromString("--semi-space-growth-factor=1");
