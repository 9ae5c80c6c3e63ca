// Config + system facts -> the one nft script that replaces our table.
// Pure and deterministic: the golden files under test/golden are its output.

import type { Address } from './address.ts';
import type { Config } from './config.ts';
import { FAMILY, LOADED_FROM, TABLE } from './counters.ts';
import { renderDispatch } from './dispatch.ts';
import { renderL2tpAnswers } from './l2tp.ts';
import { T } from './nftext.ts';
import { renderPartChains, renderPartCounters } from './part-chains.ts';
import { renderHelper } from './pptp-helper.ts';
import { PPTP_HELPER, PROTOCOLS } from './protocols.ts';
import { clearObjects } from './replace.ts';
import { renderSets } from './sets.ts';
import { formatTime } from './timed.ts';
import { renderUsageSets, usageSetNames } from './usage.ts';

/** What the system adds to the config: known only on the router. */
export interface Facts {
  /** LAN devices resolved from the zones plus lan_device, deduplicated. */
  lanDevices: string[];
  /** Whether the kernel has the PPTP conntrack helper. */
  pptpHelper: boolean;
  /** Where the config came from, for the header. */
  source: string;
  /** configStamp of the config's bytes, and at apply which load: the table says which config it holds. */
  stamp: string;
  /** Seconds since boot: when a usage record this load creates began. */
  uptime: number;
  /** With PPTP blocked: the kernel may have the helper (loaded or built in), so a table of an earlier apply may hold its object. */
  helperLoaded?: boolean;
  /** false: the kernel refused the expectations of L2TP answers from another port (apply learnt it from a load). */
  l2tpAnswers?: boolean;
  /** Replace the table whole, usage record included (after a load that could not keep it). */
  wholeTable?: boolean;
}

function describe(config: Config, facts: Facts): string[] {
  const source = facts.source.replace(/[\x00-\x1f\x7f]/g, '?');
  const out = [`# Rendered from ${source}. Do not edit: \`vpn-passthrough apply\` replaces the table (all but its usage record).`, '#'];
  for (const { name } of PROTOCOLS) {
    const p = config.protocols[name];
    const bits: string[] = [p.mode];
    if (p.until !== null && p.expired) bits.push(`(the allow until ${formatTime(p.until)} has ended)`);
    else if (p.until !== null && p.mode === 'allow') bits.push(`until ${formatTime(p.until)}`);
    if (name === 'ipsec' && p.esp !== p.mode) bits.push(`(esp/ah: ${p.esp})`);
    if (p.family !== 'any') bits.push(`family ${p.family}`);
    if (p.clients.length) bits.push(`clients ${p.clients.map((a) => a.text).join(' ')}`);
    if (p.servers.length) bits.push(`servers ${p.servers.map((a) => a.text).join(' ')}`);
    out.push(`#   ${name.padEnd(6)}${bits.join(' ')}`);
  }
  if (config.protocols.pptp.mode === 'allow' && !facts.pptpHelper) {
    out.push('#', `# No PPTP helper in this kernel (${PPTP_HELPER.openwrtPackage}): one PPTP client per server at a time.`);
  }
  if (config.protocols.l2tp.mode === 'allow' && facts.l2tpAnswers === false) {
    out.push('#', '# This kernel refuses conntrack expectations in an inet table: L2TP servers that answer from another port get no answers through.');
  }
  return out;
}

const REPLACE = [`table ${FAMILY} ${TABLE}`, `delete table ${FAMILY} ${TABLE}`];

/**
 * The config with every object there is: each protocol allowed and
 * narrowed in every way (clients by IPv4, IPv6 and MAC, servers in both
 * families). What an apply deletes is read from its script (replace.ts).
 */
function everything(config: Config): Config {
  const clients: Address[] = [{ family: 'ipv4', text: '192.0.2.1' }, { family: 'ipv6', text: '2001:db8::1' }, { family: 'mac', text: '02:00:00:00:00:01' }];
  const servers: Address[] = [{ family: 'ipv4', text: '192.0.2.2' }, { family: 'ipv6', text: '2001:db8::2' }];
  const protocols = {} as Config['protocols'];
  for (const { name } of PROTOCOLS) {
    protocols[name] = { ...config.protocols[name], mode: 'allow', esp: 'allow', family: 'any', clients, servers, until: null, expired: false };
  }
  return { ...config, protocols };
}

/**
 * The replacement of the table: every rule and every object goes, but the
 * usage record; the table block then declares the new ones and the record
 * (which stays as it is where it exists).
 */
function renderReplace(config: Config, facts: Facts): string[] {
  if (facts.wholeTable) return REPLACE;
  const all = tableBody(everything(config), { ...facts, pptpHelper: true });
  // The helper object can be declared only where the kernel has the helper, and only there can a table hold one.
  const helper = facts.pptpHelper || !!facts.helperLoaded;
  const keep = usageSetNames();
  const clear = clearObjects(`${FAMILY} ${TABLE}`, all, (kind, name) => keep.indexOf(name) >= 0 || (kind === 'ct helper' && !helper));
  return [
    `# Every rule and object goes but the usage record (the sets used_*), in the same transaction as the rest.`,
    `# nft fails on deleting what is not there, so each object is declared first (a no-op where it exists).`,
    `table ${FAMILY} ${TABLE}`,
    `flush table ${FAMILY} ${TABLE}`,
    ...clear,
  ];
}

function tableBody(config: Config, facts: Facts): string[] {
  const body = [
    `${T}# The config this table was loaded from (apply reads it back after a failed load).`,
    `${T}counter ${LOADED_FROM} {`,
    `${T}${T}comment "config ${facts.stamp}"`,
    `${T}}`,
    '',
    ...renderHelper(config, facts.pptpHelper),
    ...renderPartCounters(),
    // First of the sets: the kernel lists sets in the order they were made, and these outlast the others.
    ...renderUsageSets(facts.uptime),
    ...renderSets(config, facts.lanDevices),
    ...renderL2tpAnswers(config, facts.l2tpAnswers !== false),
    ...renderDispatch(),
    ...renderPartChains(config),
  ];
  body.pop();
  return body;
}

export function renderRuleset(config: Config, facts: Facts): string {
  if (!config.enabled) {
    return [`# vpn-passthrough is disabled (option enabled '0'): the table is removed.`, ...REPLACE, ''].join('\n');
  }
  const body = tableBody(config, facts);
  return [...describe(config, facts), '', ...renderReplace(config, facts), '', `table ${FAMILY} ${TABLE} {`, ...body, '}', ''].join('\n');
}
