// The shipped firewall include (files/usr/share/vpn-passthrough/firewall.include)
// with the init script, the stop marker and the command moved into a test's
// directory; firewall4's run_includes sources it with sh, ACTION=includes.

import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { ROOT } from './paths.ts';

/** Writes the include for `command` (argv of vpn-passthrough) into dir; returns the argv that runs it as fw4 does. */
export function firewallInclude(dir: string, command: string[]): string[] {
  mkdirSync(`${dir}/include`, { recursive: true });
  const script = (name: string, text: string) => {
    writeFileSync(`${dir}/include/${name}`, `#!/bin/sh\n${text}`);
    chmodSync(`${dir}/include/${name}`, 0o755);
    return `${dir}/include/${name}`;
  };
  const init = script('init', 'case "$1" in enabled) exit 0 ;; esac\nexit 1\n');
  const cli = script('vpn-passthrough', `exec ${command.join(' ')} "$@"\n`);
  const include = `${dir}/include/firewall.include`;
  const shipped = readFileSync(`${ROOT}files/usr/share/vpn-passthrough/firewall.include`, 'utf8');
  writeFileSync(
    include,
    shipped
      .replace('/etc/init.d/vpn-passthrough enabled', `${init} enabled`)
      .replace('/var/run/vpn-passthrough.stopped', `${dir}/include/stopped`)
      .replace('/usr/sbin/vpn-passthrough apply', `${cli} apply`),
  );
  return ['env', 'ACTION=includes', 'sh', '-c', '. "$0"', include];
}
