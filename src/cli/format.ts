// Text output of the CLI for people; --json prints the same objects as data.

import type { Count } from '../core/counters.ts';
import type { OptionSpec } from '../core/schema.ts';
import type { Status } from '../app/status.ts';
import type { SessionTable } from '../app/sessions.ts';
import type { FlowView } from '../core/sessions.ts';
import type { Check } from '../core/doctor.ts';
import { PROTOCOLS } from '../core/protocols.ts';
import { formatSpan } from '../core/timed.ts';
import { describeLastUse } from '../core/usage.ts';

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${UNITS[unit]}`;
}

function count(c: Count | undefined): string {
  return !c ? '-' : counted(c.packets, c.bytes);
}

/** packets < 0: not counted. */
function counted(packets: number, bytes: number): string {
  return packets <= 0 ? '-' : `${packets} pkts, ${size(bytes)}`;
}

/** The widest cell of each column (a loop: spreading rows as arguments fails past 65,535). */
function widthsOf(rows: string[][]): number[] {
  const widths = rows[0].map(() => 0);
  for (const r of rows) widen(widths, r);
  return widths;
}

function widen(widths: number[], row: string[]): void {
  for (let i = 0; i < row.length; i++) if (row[i].length > widths[i]) widths[i] = row[i].length;
}

/** One row, every cell but the last padded to its column's width. */
function line(widths: number[], row: string[]): string {
  let text = '';
  for (let i = 0; i < row.length - 1; i++) text += row[i].padEnd(widths[i]) + '  ';
  return (text + row[row.length - 1]).trimEnd();
}

function table(rows: string[][]): string[] {
  const widths = widthsOf(rows);
  return rows.map((r) => line(widths, r));
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
      const mode = part.mode === 'allow' && p.left !== null ? `allow, ${formatSpan(p.left)} left` : part.mode === 'block' && p.expired ? 'block (allow ended)' : part.mode;
      rows.push([p.name, part.name, mode, part.mode === 'block' ? '-' : scope, count(part.passed), count(part.blocked)]);
    }
  }
  out.push('', ...table(rows));
  if (s.usageAge !== null) {
    out.push('', `LAST USE (recorded for ${formatSpan(s.usageAge)}: since boot, or since the table was last made anew)`);
    out.push(...table(s.protocols.map((p) => [p.name, describeLastUse(p.lastUsed) ?? 'no LAN client'])));
  }
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

function flowText(f: FlowView): string {
  if (f.callClient >= 0) return `gre call-id ${f.callClient} -> ${f.callServer}${f.callTranslated < 0 ? '' : ` (as ${f.callTranslated})`}`;
  const ports = f.clientPort < 0 ? '' : ` ${f.clientPort} -> ${f.serverPort}`;
  return `${f.transport}${ports}${f.helper ? ` helper ${f.helper}` : ''}`;
}

const SESSION_HEADER = ['CLIENT', 'PROTOCOL', 'SERVER', 'FLOW', 'STATE', 'SENT', 'RECEIVED', 'EXPIRES'];
const TITLES: Record<string, string> = {};
for (const p of PROTOCOLS) TITLES[p.name] = p.title;

const stateText = (f: FlowView) => f.state || (f.replied ? 'replied' : 'unreplied');

/**
 * `sessions` as a table, one row per flow (client, protocol and server on a
 * session's first row only), written a row at a time: one pass over the
 * flows for the column widths, one to write. No row is kept and no object
 * made per flow, so a table of any size fits.
 */
export function writeSessions(t: SessionTable, write: (text: string) => void): void {
  const list = t.list;
  const read = `${t.entries} conntrack entries read from ${t.source}`;
  if (list.size === 0) return write(`no VPN sessions (${read})\n`);
  const w = widthsOf([SESSION_HEADER]);
  for (let i = 0; i < list.size; i++) {
    if (!list.sameClient(i)) w[0] = Math.max(w[0], list.client(i).length);
    w[1] = Math.max(w[1], TITLES[list.protocol(i)].length);
    w[2] = Math.max(w[2], list.server(i).length);
    for (const flow of list.flows(i)) {
      const f = list.view(flow);
      w[3] = Math.max(w[3], flowText(f).length);
      w[4] = Math.max(w[4], stateText(f).length);
      w[5] = Math.max(w[5], counted(f.sentPackets, f.sentBytes).length);
      w[6] = Math.max(w[6], counted(f.receivedPackets, f.receivedBytes).length);
    }
  }
  write(line(w, SESSION_HEADER) + '\n');
  for (let i = 0; i < list.size; i++) {
    let client = list.sameClient(i) ? '' : list.client(i);
    let protocol = TITLES[list.protocol(i)];
    let server = list.server(i);
    for (const flow of list.flows(i)) {
      const f = list.view(flow);
      const expires = f.offloaded ? 'offloaded' : `${f.timeout < 0 ? undefined : f.timeout} s`;
      write(
        `${`${client.padEnd(w[0])}  ${protocol.padEnd(w[1])}  ${server.padEnd(w[2])}  ${flowText(f).padEnd(w[3])}  ${stateText(f).padEnd(w[4])}  ${counted(f.sentPackets, f.sentBytes).padEnd(w[5])}  ${counted(f.receivedPackets, f.receivedBytes).padEnd(w[6])}  ${expires}`.trimEnd()}\n`,
      );
      client = protocol = server = '';
    }
  }
  const clients = list.clientCount;
  write(`\n${list.size} session${list.size === 1 ? '' : 's'} from ${clients} client${clients === 1 ? '' : 's'} (${read})\n`);
}

/**
 * `--json sessions`, written a session at a time: the text JSON.stringify
 * gives for readSessions' { source, entries, clients }, without holding it
 * or making its objects.
 */
export function writeSessionsJson(t: SessionTable, write: (text: string) => void): void {
  const list = t.list;
  const q = JSON.stringify;
  write(`{"source":${q(t.source)},"entries":${t.entries},"clients":[`);
  for (let i = 0; i < list.size; i++) {
    const client = list.sameClient(i) ? ',' : `${i ? ']},' : ''}{"client":${q(list.client(i))},"sessions":[`;
    write(client + list.json(i));
  }
  write(list.size ? ']}]}\n' : ']}\n');
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
