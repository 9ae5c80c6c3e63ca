// `vpn-passthrough help [config]`: loaded only when asked for (the text is
// a good part of the command's code, and every command would compile it).

import { SECTION_TYPES } from '../core/schema.ts';
import { formatSchema } from './format.ts';

const USAGE = `usage: vpn-passthrough [--json] [-c FILE] <command> [args]

VPN passthrough (PPTP, L2TP, IPsec, GRE) for OpenWrt's firewall4.

commands:
  status              modes (and time left of an allow for a while), table
                      loaded or not, counters, PPTP helper, last use of
                      each protocol by LAN clients
  sessions            live VPN sessions per LAN client, from conntrack
  doctor              checks why a VPN might fail, each with its fix;
                      exit 1 when a check fails
  doctor --error CODE [--client ADDRESS]
                      what an error a VPN client shows means (Windows 809,
                      691 ..., or the message of macOS, iOS, Android), and
                      only the checks that tell its causes apart, for
                      that LAN client: the finding and the fix
  apply               render the table and load it in one transaction
  stop                remove the table (the config stays)
  render              print the nft script that apply would load; changes nothing
  check               validate the config file; changes nothing
  set KEY VALUE...    change one option, then apply. KEY is a protocol
                      (pptp l2tp ipsec gre: its mode), PROTOCOL.OPTION
                      (ipsec.esp, l2tp.family, pptp.client ...) or a global
                      option (enabled, lan_zone, log ...). Lists take
                      several values, or none to clear. A change of
                      ipsec's mode takes raw ESP/AH along unless
                      ipsec.esp was set apart (to the other mode).
  set PROTOCOL allow --for DURATION
                      allow it for a while (30s, 45m, 2h, 1d, 1d12h ...):
                      the table blocks it again at the end by itself,
                      live tunnels too; set PROTOCOL allow (for good) or
                      block ends that sooner
  unset KEY           remove one option: its default applies again
                      (e.g. unset ipsec.esp: raw ESP/AH follow ipsec)
  log                 the change log, newest first: each change by set,
                      unset, ubus or LuCI, who made it, each option
                      before and after, refused and failed ones too
  self-check          test the engine on this runtime without touching
                      the system (exit 1 on failure)
  help [config]       this text, or every config option

options:
  --json              print JSON (read commands and errors)
  -c, --config FILE   config file (default /etc/config/vpn-passthrough)
  --                  end of options; options also end at a command's
                      first value (set pptp.client -- -x takes -x as a value)

exit codes: 0 ok, 1 failed (the table was left as it was), 2 usage,
            3 invalid config (nothing changed), 4 another apply is running
`;

export function helpText(topic?: string): string {
  return topic === 'config' ? formatSchema(SECTION_TYPES) : USAGE;
}
