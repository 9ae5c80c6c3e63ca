// The validated configuration: what the rest of the program works from.

import type { Address } from './address.ts';
import type { Part, ProtocolName } from './protocols.ts';

export type Mode = 'allow' | 'block';
export type Family = 'ipv4' | 'ipv6' | 'any';

export interface ProtocolConfig {
  name: ProtocolName;
  /** For ipsec: IKE and NAT-T; for the others: the whole protocol. */
  mode: Mode;
  /** ipsec only: raw ESP and AH. Equals `mode` unless set apart. */
  esp: Mode;
  /** With `allow`: the families it may pass in; the other family is blocked. */
  family: Family;
  /** With `allow`: when non-empty, only these LAN clients may use it. */
  clients: Address[];
  /** With `allow`: when non-empty, only these servers may be reached. */
  servers: Address[];
  /** With `allow`: when it ends (Unix time, seconds) and the protocol is blocked again; null: no end. */
  until: number | null;
  /** Set by asOf (core/timed.ts): `until` has passed, so mode (and an esp that followed it) is block. */
  expired?: boolean;
}

export interface Config {
  enabled: boolean;
  /** firewall4 zones whose devices count as LAN. */
  lanZones: string[];
  /** Devices that count as LAN besides the zones' own. */
  lanDevices: string[];
  log: boolean;
  /** nft limit rate for log lines, e.g. "10/minute". */
  logLimit: string;
  /** doctor suggests blocking an allowed protocol that no LAN client used for this many days. */
  unusedDays: number;
  protocols: Record<ProtocolName, ProtocolConfig>;
}

/** The mode that governs a part: ESP and AH follow ipsec.esp. */
export function modeOf(config: Config, part: Part): Mode {
  const protocol = config.protocols[part.protocol];
  return part.modeOption === 'esp' ? protocol.esp : protocol.mode;
}

/** A problem found in the configuration, located as precisely as possible. */
export interface ConfigIssue {
  file: string;
  line?: number;
  section?: string;
  option?: string;
  message: string;
  fix?: string;
}

export function formatIssue(issue: ConfigIssue): string {
  const where = issue.line === undefined ? issue.file : `${issue.file}:${issue.line}`;
  const what = [issue.section && `section ${issue.section}`, issue.option && `option '${issue.option}'`]
    .filter(Boolean)
    .join(' ');
  const fix = issue.fix ? `; ${issue.fix}` : '';
  return `${where}: ${what ? what + ': ' : ''}${issue.message}${fix}`;
}

export class ConfigInvalid extends Error {
  constructor(readonly issues: ConfigIssue[]) {
    super(issues.map(formatIssue).join('\n'));
  }
}

/** A command line or setting name that does not say something valid (exit 2). */
export class UsageError extends Error {}
