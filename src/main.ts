// Bundle entry for QuickJS: `qjs --std -m vpn-passthrough.js <command>`.

import * as std from 'std';
import { runCli } from './cli/main.ts';
import { pathsFrom } from './host/paths.ts';
import { qjsSystem } from './host/qjs/system.ts';

declare const scriptArgs: string[];

const code = runCli(
  scriptArgs.slice(1),
  (config) => {
    const paths = pathsFrom(qjsSystem);
    return { sys: qjsSystem, paths: config ? { ...paths, config } : paths };
  },
  {
    stdout: (text) => std.out.puts(text),
    stderr: (text) => std.err.puts(text),
  },
);
std.out.flush();
std.exit(code);
