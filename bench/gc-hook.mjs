/* global process, setTimeout */
// Preloaded (with --expose-gc) into a process the bench measures. On SIGUSR2 it runs a full
// garbage collection once a second until resident memory stops falling (two readings within
// 1 MB, at most 15 s): what the process holds once the load has passed, with the memory that
// V8 and malloc hand back lazily given back. Then it says so on stderr. Plain JavaScript, so
// measuring adds no TypeScript loader to the process measured.
process.on("SIGUSR2", () => {
  const deadline = Date.now() + 15_000;
  let last = Infinity;
  const round = () => {
    globalThis.gc?.();
    const rss = process.memoryUsage.rss();
    if (last - rss < 1e6 || Date.now() > deadline) process.stderr.write("bench:gc-done\n");
    else setTimeout(round, 1000);
    last = rss;
  };
  round();
});
