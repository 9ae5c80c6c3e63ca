// Bundle entry for QuickJS: `qjs --std -m vpn-passthrough.js <command>`, or
// `... rpcd list|call <method>` from the rpcd plugin wrapper. Each command
// loads only the modules it runs (tools/build.mjs splits the bundle): qjs
// compiles every byte it loads, at every start, on a slow router CPU.

import * as std from 'std';
import type { Context } from './app/context.ts';
import { pathsFrom } from './host/paths.ts';
import { qjsSystem, readStdin } from './host/qjs/system.ts';

declare const scriptArgs: string[];

function context(config?: string): Context {
  const paths = pathsFrom(qjsSystem);
  return { sys: qjsSystem, paths: config ? { ...paths, config } : paths };
}

async function main(args: string[]): Promise<number> {
  if (args[0] === 'rpcd') {
    const { MAX_INPUT, runPlugin } = await import('./rpcd/plugin.ts');
    // One byte over the limit is enough to refuse it.
    std.out.puts((await runPlugin(args.slice(1), () => readStdin(MAX_INPUT + 1), context)) + '\n');
    return 0;
  }
  const { runCli } = await import('./cli/main.ts');
  return runCli(args, context, {
    stdout: (text) => std.out.puts(text),
    stderr: (text) => std.err.puts(text),
  });
}

// qjs 2021 does not report an unhandled rejection: every failure ends here.
main(scriptArgs.slice(1)).then(
  (code) => {
    std.out.flush();
    std.exit(code);
  },
  (e) => {
    std.out.flush();
    std.err.puts(`vpn-passthrough: ${(e as Error)?.stack ?? e}\n`);
    std.exit(1);
  },
);
