// UCI document -> validated Config. Every problem is collected and reported
// with file:line, section and option, so one run shows all that is wrong.

import type { Address } from './address.ts';
import { ConfigInvalid, type Config, type ConfigIssue, type Family, type Mode, type ProtocolConfig } from './config.ts';
import { PROTOCOLS, isProtocolName, type ProtocolName } from './protocols.ts';
import { readable } from './bytes.ts';
import { own } from './own.ts';
import { SECTION_TYPES, type OptionSpec } from './schema.ts';
import { parseUci, UciSyntaxError, type UciDocument, type UciSection } from './uci.ts';

export interface Loaded {
  config: Config;
  warnings: ConfigIssue[];
}

function sectionLabel(section: UciSection): string {
  return section.name !== undefined ? `'${section.name}'` : `@${section.type}[${section.index}]`;
}

/** Reads the options of one section against its schema; raw defaults fill the gaps. */
function readSection(
  file: string,
  section: UciSection | undefined,
  schema: Record<string, OptionSpec>,
  issues: ConfigIssue[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const name = section?.name ?? '';
  for (const key of Object.keys(schema)) {
    const spec = schema[key];
    if (spec.only && spec.only.indexOf(name) < 0) continue;
    const given = section?.options.find((o) => o.name === key);
    const at = given && { file, line: given.line, section: sectionLabel(section as UciSection), option: key };
    let raws: string[];
    if (given === undefined) {
      if (spec.default === undefined) continue;
      raws = Array.isArray(spec.default) ? spec.default : [spec.default];
    } else if (spec.list) {
      // fw4 accepts a whitespace-separated "option" where a list is expected; so do we.
      // ASCII blanks only: JavaScript's \s would also split at a byte 0xA0 (the file is read as bytes).
      raws = given.isList ? given.values : given.values[0].split(/[ \t\r\n\f\v]+/).filter((v) => v !== '');
    } else if (given.isList) {
      issues.push({ ...at!, message: 'takes one value, not a list', fix: `write "option ${key} '...'"` });
      continue;
    } else {
      raws = given.values;
    }
    const values: unknown[] = [];
    for (const raw of raws) {
      // Every value type here is plain ASCII; anything else is shown, not decoded away.
      if (/[^\x20-\x7e]/.test(raw)) {
        issues.push({ ...at!, message: `'${readable(raw)}' holds characters that are not allowed here`, fix: `write ${spec.type.describe}` });
        continue;
      }
      const parsed = spec.type.parse(raw);
      if ('error' in parsed) issues.push({ ...at!, message: parsed.error, fix: parsed.fix });
      else values.push(parsed.value);
    }
    out[key] = spec.list ? values : values[0];
  }
  for (const option of section?.options ?? []) {
    const spec = own(schema, option.name);
    if (spec === undefined || (spec.only && spec.only.indexOf(name) < 0)) {
      const known = Object.keys(schema).filter((k) => !schema[k].only || schema[k].only!.indexOf(name) >= 0);
      issues.push({
        file,
        line: option.line,
        section: sectionLabel(section as UciSection),
        option: option.name,
        message: 'unknown option',
        fix: `known options here: ${known.join(', ')}`,
      });
    }
  }
  return out;
}

function checkSections(doc: UciDocument, issues: ConfigIssue[]): void {
  const protocolNames = PROTOCOLS.map((p) => p.name).join(', ');
  let globals = 0;
  for (const section of doc.sections) {
    const at = { file: doc.file, line: section.line, section: sectionLabel(section) };
    if (own(SECTION_TYPES, section.type) === undefined) {
      issues.push({ ...at, message: `unknown section type '${section.type}'`, fix: 'use "config global" or "config protocol"' });
    } else if (section.type === 'global' && ++globals > 1) {
      issues.push({ ...at, message: 'a second global section', fix: 'merge it into the first one' });
    } else if (section.type === 'protocol' && (section.name === undefined || !isProtocolName(section.name))) {
      issues.push({
        ...at,
        message: 'a protocol section must be named after its protocol',
        fix: `write "config protocol '<name>'" with one of ${protocolNames}`,
      });
    }
  }
}

function toProtocol(name: ProtocolName, raw: Record<string, unknown>): ProtocolConfig {
  const mode = raw.mode as Mode;
  return {
    name,
    mode,
    esp: (raw.esp as Mode | undefined) ?? mode,
    family: raw.family as Family,
    clients: raw.client as Address[],
    servers: raw.server as Address[],
    until: (raw.until as number | undefined) ?? null,
  };
}

function warnUnused(file: string, doc: UciDocument, p: ProtocolConfig, warnings: ConfigIssue[]): void {
  const section = doc.sections.find((s) => s.type === 'protocol' && s.name === p.name);
  const esp = section?.options.find((o) => o.name === 'esp');
  if (esp && p.mode === 'block' && p.esp === 'allow') {
    warnings.push({
      file,
      line: esp.line,
      section: `'${p.name}'`,
      option: 'esp',
      message: 'raw ESP and AH still pass while IPsec is blocked',
      fix: 'remove option esp to block them too (vpn-passthrough unset ipsec.esp), or keep it to force clients onto raw ESP',
    });
  }
  const blocked = p.mode === 'block' && (p.name !== 'ipsec' || p.esp === 'block');
  if (!section || !blocked) return;
  for (const option of section.options) {
    if (option.name === 'client' || option.name === 'server' || option.name === 'family' || option.name === 'until') {
      warnings.push({
        file,
        line: option.line,
        section: `'${p.name}'`,
        option: option.name,
        message: 'has no effect while the protocol is blocked',
        fix: `it ${option.name === 'until' ? 'ends' : 'narrows'} an allow; remove it or set mode to allow`,
      });
    }
  }
}

/** Validates a parsed document; throws ConfigInvalid listing every problem. */
export function loadConfig(doc: UciDocument): Loaded {
  const issues: ConfigIssue[] = [];
  const warnings: ConfigIssue[] = [];
  checkSections(doc, issues);
  const global = doc.sections.find((s) => s.type === 'global');
  const g = readSection(doc.file, global, SECTION_TYPES.global, issues);
  const protocols = {} as Record<ProtocolName, ProtocolConfig>;
  for (const { name } of PROTOCOLS) {
    const section = doc.sections.find((s) => s.type === 'protocol' && s.name === name);
    protocols[name] = toProtocol(name, readSection(doc.file, section, SECTION_TYPES.protocol, issues));
  }
  if (issues.length > 0) throw new ConfigInvalid(issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0)));
  for (const { name } of PROTOCOLS) warnUnused(doc.file, doc, protocols[name], warnings);
  const config: Config = {
    enabled: g.enabled as boolean,
    lanZones: g.lan_zone as string[],
    lanDevices: g.lan_device as string[],
    log: g.log as boolean,
    logLimit: g.log_limit as string,
    unusedDays: g.unused_days as number,
    protocols,
  };
  return { config, warnings };
}

/** Parses config text; a syntax error becomes a ConfigInvalid naming its line. */
export function parseConfigText(text: string, file: string): UciDocument {
  try {
    return parseUci(text, file);
  } catch (e) {
    if (e instanceof UciSyntaxError) throw new ConfigInvalid([{ file, line: e.line, message: e.reason }]);
    throw e;
  }
}

/** Parses and validates config text. */
export function loadConfigText(text: string, file: string): Loaded & { doc: UciDocument } {
  const doc = parseConfigText(text, file);
  return { ...loadConfig(doc), doc };
}
