// The option schema of each section type of /etc/config/vpn-passthrough.
// Like firewall4's parse_options tables, it doubles as the documentation:
// `vpn-passthrough help config` prints it.

import { parseIpOrSubnet, parseMac, type Address } from './address.ts';

/** Turns one raw value into its typed form, or explains what to write instead. */
export type ValueType<T> = {
  describe: string;
  /** A number in JSON (ubus), where other values are strings. */
  numeric?: boolean;
  parse(raw: string): { value: T } | { error: string; fix: string };
};

export interface OptionSpec<T = unknown> {
  type: ValueType<T>;
  list?: boolean;
  /** Raw default, as it would be written in the file. */
  default?: string | string[];
  doc: string;
  /** Section names the option is valid in (default: all). */
  only?: string[];
}

function oneOf<T extends string>(...choices: T[]): ValueType<T> {
  const quoted = choices.map((c) => `'${c}'`).join(', ');
  return {
    describe: choices.join(' | '),
    parse: (raw) =>
      (choices as string[]).indexOf(raw) >= 0
        ? { value: raw as T }
        : { error: `invalid value '${raw}'`, fix: `use one of ${quoted}` },
  };
}

export const bool: ValueType<boolean> = {
  describe: '0 | 1',
  parse(raw) {
    if (['1', 'on', 'true', 'yes', 'enabled'].indexOf(raw) >= 0) return { value: true };
    if (['0', 'off', 'false', 'no', 'disabled'].indexOf(raw) >= 0) return { value: false };
    return { error: `invalid boolean '${raw}'`, fix: "use '1' or '0'" };
  },
};

function pattern(describe: string, re: RegExp, fix: string): ValueType<string> {
  return {
    describe,
    parse: (raw) => (re.test(raw) ? { value: raw } : { error: `invalid value '${raw}'`, fix }),
  };
}

// firewall4's identifier type (fw4.uc parse_identifier); no leading digit or '-'.
const zone = pattern('zone name', /^[A-Za-z_.][A-Za-z0-9/_.-]{0,63}$/, "give a firewall zone name such as 'lan'");
// The kernel's dev_valid_name: fewer than IFNAMSIZ (16) bytes, no '/', ':'
// or space, not '.' or '..'; a final '*' (a wildcard, as in fw4's state)
// counts too, since nft stores the name with it. A narrower set of
// characters keeps names safe to quote in the ruleset.
const device = pattern(
  'device name',
  /^(?!\.\.?\*?$)(?=.{1,15}$)[A-Za-z0-9_.@-]+\*?$/,
  "give a network device such as 'br-lan' (15 characters at most, counting a final '*' for a wildcard)",
);
const rate = pattern(
  'N/second|minute|hour|day',
  /^[1-9][0-9]{0,5}\/(second|minute|hour|day)$/,
  "write a rate such as '10/minute'",
);

/** A whole number in [min, max], written in decimal without sign or leading zeros. */
function integer(describe: string, min: number, max: number, fix: string): ValueType<number> {
  return {
    describe,
    numeric: true,
    parse(raw) {
      const value = /^[1-9][0-9]{0,15}$/.test(raw) ? Number(raw) : NaN;
      return value >= min && value <= max ? { value } : { error: `invalid value '${raw}'`, fix };
    },
  };
}

function addresses(describe: string, allowMac: boolean): ValueType<Address> {
  return {
    describe,
    parse(raw) {
      // Six colon-separated pairs can only be a MAC: IPv6 needs eight groups or "::".
      const parsed = allowMac && /^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$/.test(raw) ? parseMac(raw) : parseIpOrSubnet(raw);
      if ('error' in parsed) {
        return { error: `'${raw}' ${parsed.error}`, fix: `write ${describe}` };
      }
      return { value: parsed };
    },
  };
}

export const mode = oneOf('allow', 'block');
export const family = oneOf('ipv4', 'ipv6', 'any');

export const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  enabled: { type: bool, default: '1', doc: 'Manage VPN passthrough at all; 0 removes the table.' },
  lan_zone: { type: zone, list: true, default: ['lan'], doc: 'firewall4 zones whose clients get passthrough.' },
  lan_device: { type: device, list: true, default: [], doc: 'Extra LAN devices, besides the zones\' own.' },
  log: { type: bool, default: '0', doc: 'Log blocked attempts to the system log.' },
  log_limit: { type: rate, default: '10/minute', doc: 'At most this many log lines.' },
  unused_days: {
    type: integer('days (1-365)', 1, 365, "write a number of days from 1 to 365, such as '30'"),
    default: '30',
    doc: 'doctor suggests blocking an allowed protocol no LAN client used for this long.',
  },
};

export const PROTOCOL_OPTIONS: Record<string, OptionSpec> = {
  mode: { type: mode, default: 'allow', doc: 'Let the protocol through NAT, or block it (live tunnels too).' },
  esp: {
    type: mode,
    only: ['ipsec'],
    doc: 'Raw ESP and AH (IP protocols 50, 51), apart from IKE/NAT-T; defaults to mode.',
  },
  family: { type: family, default: 'any', doc: 'With allow: the address family it may pass in.' },
  client: {
    type: addresses('an IPv4/IPv6 address, a subnet such as 192.168.1.0/24, or a MAC address', true),
    list: true,
    default: [],
    doc: 'With allow: only these LAN clients may use it (empty: all).',
  },
  server: {
    type: addresses('an IPv4/IPv6 address or a subnet such as 203.0.113.0/24', false),
    list: true,
    default: [],
    doc: 'With allow: only these servers may be reached (empty: any).',
  },
  until: {
    // Up to 9999-12-31: a date the router's clock and nft can both hold.
    type: integer('Unix time (seconds)', 1, 253402300799, "write a time in seconds since 1970, or set it with `vpn-passthrough set <protocol> allow --for 2h`"),
    doc: 'With allow: when it ends and the protocol is blocked again, live tunnels too (none: no end); `set <protocol> allow --for 2h` writes it.',
  },
};

/**
 * The UCI value of a list: an emptied list whose default is not empty is
 * written as one empty value, because removing the option would bring the
 * default back.
 */
export function listValue(spec: OptionSpec, values: string[]): string | string[] {
  return values.length === 0 && Array.isArray(spec.default) && spec.default.length > 0 ? '' : values;
}

export const SECTION_TYPES: Record<string, Record<string, OptionSpec>> = {
  global: GLOBAL_OPTIONS,
  protocol: PROTOCOL_OPTIONS,
};
