// Bundle entry for QuickJS: `qjs --std -m vpn-passthrough.js <command>`, or
// `... rpcd list|call <method>` from the rpcd plugin wrapper.

import * as std from 'std';
import type { Context } from './app/context.ts';
import { runCli } from './cli/main.ts';
import { pathsFrom } from './host/paths.ts';
import { qjsSystem, readStdin } from './host/qjs/system.ts';
import { MAX_INPUT, runPlugin } from './rpcd/plugin.ts';

declare const scriptArgs: string[];

function context(config?: string): Context {
  const paths = pathsFrom(qjsSystem);
  return { sys: qjsSystem, paths: config ? { ...paths, config } : paths };
}

const args = scriptArgs.slice(1);
let code = 0;
if (args[0] === 'rpcd') {
  // One byte over the limit is enough to refuse it.
  std.out.puts(runPlugin(args.slice(1), () => readStdin(MAX_INPUT + 1), context) + '\n');
} else {
  code = runCli(args, context, {
    stdout: (text) => std.out.puts(text),
    stderr: (text) => std.err.puts(text),
  });
}
std.out.flush();
std.exit(code);
