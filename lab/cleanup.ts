// Lab resources (namespaces, their processes, scratch directories) go even
// when a run is cut short: at exit, on Ctrl-C or a runner's SIGTERM. What a
// SIGKILL leaves behind is swept by the next run (see netns.ts).

const pending = new Set<() => void>();
let installed = false;

function runAll(): void {
  for (const fn of [...pending].reverse()) {
    pending.delete(fn);
    try {
      fn();
    } catch {
      // keep cleaning the rest
    }
  }
}

/** Runs fn at exit unless the returned function was called first (then fn runs no more). */
export function atExit(fn: () => void): () => void {
  if (!installed) {
    installed = true;
    process.on('exit', runAll);
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      process.once(signal, () => {
        runAll();
        process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
      });
    }
  }
  pending.add(fn);
  return () => void pending.delete(fn);
}
