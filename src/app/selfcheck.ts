// `self-check`: the engine's own logic exercised without touching the system,
// so a new runtime (a cross-built qjs under qemu, an older QuickJS) can be
// trusted before it runs on a router: config, render, conntrack and doctor.

import { ConfigInvalid } from '../core/config.ts';
import { diagnose } from '../core/doctor.ts';
import { loadConfigText } from '../core/load.ts';
import { renderRuleset } from '../core/render.ts';
import { SessionCollector } from '../core/sessions.ts';
import { asciiBytes } from '../core/conntrack.ts';

const CONFIG = "config global 'global'\n\tlist lan_device 'br-lan'\n\nconfig protocol 'l2tp'\n\toption mode 'block'\n";
const CONNTRACK = [
  'ipv4     2 tcp      6 431999 ESTABLISHED src=192.168.1.10 dst=203.0.113.7 sport=40000 dport=1723 packets=6 bytes=644 src=203.0.113.7 dst=203.0.113.1 sport=1723 dport=40000 packets=4 bytes=404 [ASSURED] mark=0 zone=0 use=2',
  'ipv4     2 gre      47 179 timeout=30, stream_timeout=180 src=192.168.1.10 dst=203.0.113.7 srckey=0x1 dstkey=0x100 packets=3 bytes=120 src=203.0.113.7 dst=203.0.113.1 srckey=0x100 dstkey=0x9c40 packets=3 bytes=120 [ASSURED] mark=0 zone=0 use=2',
  'ipv6     10 udp      17 29 src=2001:db8:1::10 dst=2001:db8:ff::7 sport=4500 dport=4500 src=2001:db8:ff::7 dst=2001:db8:1::10 sport=4500 dport=4500 mark=0 zone=0 use=2',
  'ipv4     2 tcp      6 50 ESTABLISHED src=192.168.1.11 dst=198.51.100.1 sport=1234 dport=443 src=198.51.100.1 dst=203.0.113.1 sport=443 dport=1234 [ASSURED] mark=0 zone=0 use=2',
  '',
].join('\n');

const CHECKS: [string, () => boolean][] = [
  ['config', () => {
    const { config } = loadConfigText(CONFIG, 'self-check');
    return config.protocols.l2tp.mode === 'block' && config.lanDevices[0] === 'br-lan';
  }],
  ['invalid config', () => {
    try {
      loadConfigText("config protocol 'pptp'\n\toption mode 'alow'\n", 'self-check');
      return false;
    } catch (e) {
      return e instanceof ConfigInvalid && e.issues[0].line === 2;
    }
  }],
  ['render', () => {
    const { config } = loadConfigText(CONFIG, 'self-check');
    const script = renderRuleset(config, { lanDevices: ['br-lan'], pptpHelper: true, source: 'self-check', stamp: '0', uptime: 0 });
    return script.indexOf('ct helper set "pptp"') > 0 && /chain handle_l2tp \{[^}]*reject with icmpx admin-prohibited/.test(script);
  }],
  ['sessions', () => {
    const collector = new SessionCollector();
    const bytes = asciiBytes(CONNTRACK);
    // Two pieces cut inside a line, as reads from /proc arrive.
    collector.push(bytes.subarray(0, 100));
    collector.push(bytes.subarray(100));
    const clients = collector.result();
    const pptp = clients[0].sessions[0];
    return collector.rows === 4 && clients.length === 2 && pptp.flows.length === 2 && pptp.flows[1].callIds?.translated === 40000;
  }],
  ['doctor', () => {
    const checks = diagnose({
      enabled: true, nftFailure: null, tableLoaded: false, tableCurrent: true, pptpMode: 'allow', lanDevices: ['br-lan'], missingDevices: [], helper: null, helperCount: null,
      controlsWithHelper: null, masqueradeZones: ['wan'], zoneHelpers: [], flowOffloading: false, accounting: true, sessions: [], espSenders: [], l2tpSenders: [], l2tpElsewhere: [],
    });
    return checks[0].verdict === 'fail' && checks[0].fix !== undefined;
  }],
];

/** Names of the checks that failed (empty: all passed), and how many ran. */
export function selfCheck(): { failed: string[]; total: number } {
  const failed: string[] = [];
  for (const [name, run] of CHECKS) {
    let ok = false;
    try {
      ok = run();
    } catch {
      ok = false;
    }
    if (!ok) failed.push(name);
  }
  return { failed, total: CHECKS.length };
}
