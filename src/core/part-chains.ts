// What a part does with the packets dispatch.ts sends it: handle_<part>
// lets them through (counted, noted for doctor and the usage record) or
// refuses them; a narrowed allow judges what LAN clients send in
// scope_<part>, and a timed one ends in its deadline rule. Every part has
// its two counters, <part>_passed and <part>_blocked, which status reads.

import { modeOf, type Config, type ProtocolConfig } from './config.ts';
import { ESP_SENDERS } from './counters.ts';
import { NOTE_SENDER } from './l2tp.ts';
import { chain, T } from './nftext.ts';
import { PARTS, type Part } from './protocols.ts';
import { isNarrowed, scopeOf } from './sets.ts';
import { formatTime } from './timed.ts';
import { usageRules } from './usage.ts';

export function renderPartCounters(): string[] {
  const out: string[] = [];
  for (const part of PARTS) {
    out.push(`${T}counter ${part.name}_passed {`, `${T}${T}comment "${part.title}: let through"`, `${T}}`);
    out.push(`${T}counter ${part.name}_blocked {`, `${T}${T}comment "${part.title}: rejected"`, `${T}}`, '');
  }
  return out;
}

/** Counts, logs and rejects: tcp reset for TCP, ICMP admin-prohibited otherwise. */
function refuseRules(config: Config, part: Part): string[] {
  const out: string[] = [];
  if (config.log) {
    out.push(`limit rate ${config.logLimit} log prefix "vpn-passthrough: ${part.name} blocked: " level info`);
  }
  out.push(`counter name "${part.name}_blocked"`);
  if (part.matches.some((m) => m.kind === 'port' && m.l4proto === 'tcp')) out.push('meta l4proto tcp reject with tcp reset');
  out.push('reject with icmpx admin-prohibited');
  return out;
}

/** An allow narrowed by family, server or client: what is outside goes to refuse_<part>, the rest returns. */
function scopeRules(p: ProtocolConfig, part: Part): string[] {
  const refuse = `goto refuse_${part.name}`;
  const s = scopeOf(p);
  const out: string[] = [];
  if (p.family === 'ipv4') out.push(`meta nfproto ipv6 ${refuse}`);
  if (p.family === 'ipv6') out.push(`meta nfproto ipv4 ${refuse}`);
  if (s.hasServers && p.family !== 'ipv6') out.push(`ip daddr != @${p.name}_server_v4 ${refuse}`);
  if (s.hasServers && p.family !== 'ipv4') out.push(`ip6 daddr != @${p.name}_server_v6 ${refuse}`);
  if (!s.hasClients) return out;
  if (p.family !== 'ipv6') out.push(`ip saddr @${p.name}_client_v4 return`);
  if (p.family !== 'ipv4') out.push(`ip6 saddr @${p.name}_client_v6 return`);
  out.push(`ether saddr @${p.name}_client_mac return`, refuse);
  return out;
}

/** What an allow does with a packet it lets through: count it, and note raw ESP and L2TP senders through IPv4 NAT for doctor. */
function passRules(config: Config, part: Part): string[] {
  const notes: Partial<Record<Part['name'], string>> = {
    esp: `meta nfproto ipv4 iifname @lan_devices update @${ESP_SENDERS} { ip saddr . ip daddr } comment "raw ESP through NAT: one LAN client per server"`,
    l2tp: config.protocols.l2tp.family === 'ipv6' ? undefined : NOTE_SENDER,
  };
  const note = notes[part.name];
  return [...(note ? [note] : []), ...usageRules(part.protocol), `counter name "${part.name}_passed"`];
}

/** A timed allow of the part: its deadline, as a rule that sends every packet to refuse_<part> from then on. */
function deadlineOf(config: Config, part: Part): string | null {
  const p = config.protocols[part.protocol];
  // Raw ESP/AH end with the allow unless set apart (an esp equal to the mode follows it).
  if (p.until === null || p.mode !== 'allow' || (part.modeOption === 'esp' && p.esp !== p.mode)) return null;
  return `meta time >= ${p.until} goto refuse_${part.name} comment "allowed until ${formatTime(p.until)}"`;
}

export function renderPartChains(config: Config): string[] {
  const out: string[] = [];
  for (const part of PARTS) {
    const p = config.protocols[part.protocol];
    const mode = modeOf(config, part);
    const deadline = deadlineOf(config, part);
    // The deadline comes first and holds for every packet: when it passes, live tunnels stop too.
    const timed = deadline ? [deadline] : [];
    const until = deadline ? `, until ${formatTime(p.until!)}` : '';
    if (mode === 'block') {
      out.push(...chain(`handle_${part.name}`, refuseRules(config, part), `${part.title}: block`));
    } else if (!isNarrowed(p)) {
      out.push(...chain(`handle_${part.name}`, [...timed, ...passRules(config, part)], `${part.title}: allow${until}`));
      if (deadline) out.push(...chain(`refuse_${part.name}`, refuseRules(config, part)));
    } else {
      // Only requests from LAN clients are judged; replies belong to a request that was.
      const judge = `iifname @lan_devices jump scope_${part.name}`;
      out.push(...chain(`handle_${part.name}`, [...timed, judge, ...passRules(config, part)], `${part.title}: allow, narrowed${until}`));
      out.push(...chain(`scope_${part.name}`, scopeRules(p, part)));
      out.push(...chain(`refuse_${part.name}`, refuseRules(config, part)));
    }
  }
  return out;
}
