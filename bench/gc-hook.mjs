/* global process, setTimeout */
// Preloaded (with --expose-gc) into a process the bench measures: SIGUSR2 runs a full garbage
// collection twice, a moment apart so freed pages are handed back to the OS in between, then
// says so on stderr; resident memory is read after that. Plain JavaScript, so measuring adds
// no TypeScript loader to the process measured.
process.on("SIGUSR2", () => {
  globalThis.gc?.();
  setTimeout(() => {
    globalThis.gc?.();
    process.stderr.write("bench:gc-done\n");
  }, 500);
});
