import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { setFlagsFromString } from "node:v8";

/** A compiled WebAssembly module, opaque here; PGlite instantiates it. */
export interface WasmModule {
  readonly [Symbol.toStringTag]: "WebAssembly.Module";
}
// Node has WebAssembly; @types/node 20 does not declare it (it comes with lib "DOM").
declare const WebAssembly: { compile(bytes: Uint8Array): Promise<WasmModule> };

let compiled: Promise<WasmModule> | undefined;

/**
 * PGlite's WebAssembly (9 MB of PostgreSQL), compiled once per process. The CLI calls this
 * before it loads the server's code: V8 compiles on its background threads meanwhile, which
 * took ~0.06 s off an embedded start with two CPUs (little on one). PGlite keeps the module
 * for its instances too, so holding it here costs nothing more.
 *
 * Compiled with V8's baseline compiler only (Liftoff): tiering hot functions up to TurboFan
 * held ~45 MB more resident memory for the life of the process and ~0.3 s more CPU at
 * start-up, and baseline code answers the store's few, small queries fast enough (reads are
 * cached in JS). V8 compiles each function when first called (its default); validating each
 * then too, rather than all 9 MB up front, takes another ~40 ms off every start — PostgreSQL
 * calls a small part of its code. The flags are read when a module compiles: set just before.
 */
export function pgliteWasm(): Promise<WasmModule> {
  if (!compiled) {
    setFlagsFromString("--liftoff-only");
    setFlagsFromString("--wasm-lazy-validation");
    // Read at once (a few ms from the page cache): fs/promises reads in 512 kB pieces, each
    // waiting for a turn of the event loop, which the loading modules hold for long stretches.
    compiled = Promise.resolve().then(() =>
      WebAssembly.compile(
        readFileSync(createRequire(import.meta.url).resolve("@electric-sql/pglite/pglite.wasm")),
      ),
    );
  }
  return compiled;
}
