// Text output of the CLI for people; --json prints the same objects as data.

import type { Count } from '../core/counters.ts';
import type { OptionSpec } from '../core/schema.ts';
import type { Status } from '../app/status.ts';
import type { Sessions } from '../app/sessions.ts';
import type { Flow } from '../core/sessions.ts';
import type { Check } from '../core/doctor.ts';
import { PROTOCOLS } from '../core/protocols.ts';

function size(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

function count(c: Count | undefined): string {
  return !c || c.packets === 0 ? '-' : `${c.packets} pkts, ${size(c.bytes)}`;
}

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ').trimEnd());
}

export function formatStatus(s: Status): string {
  const out = [
    `vpn-passthrough: ${s.enabled ? 'enabled' : 'disabled'}; table inet vpn_passthrough ${s.table}`,
    `config:      ${s.config}`,
    `LAN devices: ${s.lanDevices.length ? s.lanDevices.join(' ') : '(none)'}`,
  ];
  if (s.pptpHelper) {
    const modules = s.pptpHelper.modules.map((m) => `${m.name} ${m.state}`).join(', ');
    const state = s.pptpHelper.available === null ? 'unknown until the table is loaded' : s.pptpHelper.available ? 'available' : 'MISSING';
    out.push(`PPTP helper: ${state} (${modules})`);
  }
  const rows = [['PROTOCOL', 'PART', 'MODE', 'SCOPE', 'PASSED', 'BLOCKED']];
  for (const p of s.protocols) {
    const scope = [
      p.family !== 'any' ? p.family : '',
      p.clients.length ? `clients ${p.clients.join(',')}` : '',
      p.servers.length ? `servers ${p.servers.join(',')}` : '',
    ].filter(Boolean).join('; ') || 'all';
    for (const part of p.parts) {
      rows.push([p.name, part.name, part.mode, part.mode === 'block' ? '-' : scope, count(part.passed), count(part.blocked)]);
    }
  }
  out.push('', ...table(rows));
  const insecure = s.protocols.filter((p) => p.insecure && p.mode === 'allow');
  const notes = [...insecure.map((p) => `${p.title}: ${p.insecure}`), ...s.warnings];
  if (notes.length) out.push('', ...notes.map((n) => `note: ${n}`));
  return out.join('\n') + '\n';
}

export function formatSchema(sections: Record<string, Record<string, OptionSpec>>): string {
  const out: string[] = [];
  for (const type of Object.keys(sections)) {
    out.push(type === 'global' ? "config global 'global'" : "config protocol '<pptp|l2tp|ipsec|gre>'");
    const rows = Object.keys(sections[type]).map((name) => {
      const spec = sections[type][name];
      const def = spec.default === undefined ? '' : ` [${Array.isArray(spec.default) ? spec.default.join(' ') : spec.default}]`;
      const only = spec.only ? ` (${spec.only.join(', ')} only)` : '';
      return [`  ${spec.list ? 'list' : 'option'} ${name}`, spec.type.describe, `${spec.doc}${only}${def}`];
    });
    out.push(...table(rows), '');
  }
  return out.join('\n');
}

function flowText(f: Flow): string {
  const ids = f.callIds;
  if (ids) return `gre call-id ${ids.client} -> ${ids.server}${ids.translated === undefined ? '' : ` (as ${ids.translated})`}`;
  const ports = f.clientPort === undefined ? '' : ` ${f.clientPort} -> ${f.serverPort}`;
  return `${f.transport}${ports}${f.helper ? ` helper ${f.helper}` : ''}`;
}

export function formatSessions(s: Sessions): string {
  const title = (name: string) => PROTOCOLS.find((p) => p.name === name)?.title ?? name;
  const rows = [['CLIENT', 'PROTOCOL', 'SERVER', 'FLOW', 'STATE', 'SENT', 'RECEIVED', 'EXPIRES']];
  let sessions = 0;
  for (const c of s.clients) {
    for (const [i, session] of c.sessions.entries()) {
      sessions++;
      for (const [j, f] of session.flows.entries()) {
        const state = f.state ?? (f.replied ? 'replied' : 'unreplied');
        rows.push([
          i === 0 && j === 0 ? c.client : '',
          j === 0 ? title(session.protocol) : '',
          j === 0 ? session.server : '',
          flowText(f),
          state,
          count(f.sent),
          count(f.received),
          f.offloaded ? 'offloaded' : `${f.timeout} s`,
        ]);
      }
    }
  }
  const read = `${s.entries} conntrack entries read from ${s.source}`;
  if (sessions === 0) return `no VPN sessions (${read})\n`;
  const summary = `${sessions} session${sessions === 1 ? '' : 's'} from ${s.clients.length} client${s.clients.length === 1 ? '' : 's'} (${read})`;
  return [...table(rows), '', summary].join('\n') + '\n';
}

export function formatDoctor(checks: Check[]): string {
  const out: string[] = [];
  for (const c of checks) {
    out.push(`${c.verdict.toUpperCase().padEnd(5)} ${c.id.padEnd(16)} ${c.summary}`);
    if (c.fix) out.push(`${''.padEnd(23)}fix: ${c.fix}`);
  }
  const count = (v: Check['verdict']) => checks.filter((c) => c.verdict === v).length;
  const warnings = count('warn');
  out.push('', `${count('fail')} failed, ${warnings} warning${warnings === 1 ? '' : 's'}, ${count('ok')} ok`);
  return out.join('\n') + '\n';
}
