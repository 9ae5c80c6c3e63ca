// Network -> VPN Passthrough: allow or block each VPN protocol (a form on
// /etc/config/vpn-passthrough, saved and applied by LuCI with rollback, then
// re-applied by the backend), and what the router sees: counters, live
// sessions, doctor's findings. luci/build.mjs turns it into a LuCI view,
// bundling the backend's option schema (src/core/schema.ts) so that the
// page checks every value with the backend's own parsers.

import view from 'luci:view';
import form from 'luci:form';
import rpc from 'luci:rpc';
import poll from 'luci:poll';
import dom from 'luci:dom';
import ui from 'luci:ui';
import uci from 'luci:uci';
import widgets from 'luci:tools.widgets';
import { PROTOCOL_OPTIONS, SECTION_TYPES, type OptionSpec } from '../../src/core/schema.ts';
import type { Status } from '../../src/app/status.ts';
import type { Sessions } from '../../src/app/sessions.ts';
import type { Check } from '../../src/core/doctor.ts';
import type { Count } from '../../src/core/counters.ts';
import type { Flow } from '../../src/core/sessions.ts';
import { formatValue, whoOf, type ChangeEntry } from '../../src/core/changes.ts';
import { formatSpan } from '../../src/core/timed.ts';

/** Every answer of the rpcd plugin: the result, or an error in the body (docs/ubus.md). */
type Answer<T> = T | { error: { code: string; message: string; field?: string } };
type Doctor = { checks: Check[] };
/** doctor with an error a VPN client showed (src/app/client-error.ts). */
type Explained = Doctor & { finding: string; fix?: string; clientError: { known: boolean; code?: number; client?: string; meaning?: string } };

const CONFIG = 'vpn-passthrough';

const declare = <T, A extends unknown[] = []>(method: string, params?: string[]) =>
  rpc.declare<Answer<T>, A>({ object: 'vpn-passthrough', method, params, reject: true });
const callOverview = declare<{ status: Status; sessions: Sessions }>('overview');
const callDoctor = declare<Doctor>('doctor');
const callExplain = declare<Explained, [error: string, client: string]>('doctor', ['error', 'client']);
/** The most recent changes only: `vpn-passthrough log` has them all. */
const RECENT = 10;
const callLog = declare<{ entries: ChangeEntry[] }, [limit: number]>('log', ['limit']);
const callApply = declare<{ applied: boolean; warnings: string[] }, [ifNeeded: boolean]>('apply', ['if_needed']);

const PROTOCOLS = [
  {
    name: 'pptp',
    title: 'PPTP',
    summary: _('Control on TCP 1723, data in enhanced GRE. Several LAN clients to one server need the PPTP helper of the kernel.'),
    insecure: _('PPTP (MS-CHAPv2) can be cracked offline: prefer IPsec/IKEv2 or WireGuard.'),
  },
  { name: 'l2tp', title: 'L2TP', summary: _('L2TP without IPsec, on UDP 1701. L2TP/IPsec counts as IPsec.') },
  { name: 'ipsec', title: 'IPsec', summary: _('IKE on UDP 500, NAT-T on UDP 4500, and raw ESP and AH, which follow unless set apart.') },
  { name: 'gre', title: 'GRE', summary: _('Plain GRE tunnels (IP protocol 47), such as links between sites; not the GRE of PPTP.') },
];

/** Doctor's verdicts, worst first, as LuCI's badges (label classes of luci-theme-bootstrap's cascade.css). */
const VERDICTS: Record<Check['verdict'], [title: string, badge: string]> = {
  fail: [_('Failed'), 'important'],
  warn: [_('Warning'), 'warning'],
  info: [_('Info'), 'notice'],
  ok: [_('OK'), 'success'],
};

/** The result, or why there is none. */
function result<T extends object>(answer: Answer<T> | null): T | string {
  if (answer == null || typeof answer !== 'object') return _('No answer from the vpn-passthrough service.');
  return 'error' in answer ? answer.error.message : answer;
}

function warning(text: string): HTMLElement {
  return E('p', { class: 'alert-message warning' }, [text]);
}

function size(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  for (; bytes >= 1024 && i < units.length - 1; i++) bytes /= 1024;
  return i ? `${bytes.toFixed(1)} ${units[i]}` : `${bytes} B`;
}

function count(c: Count | undefined): string {
  return c && c.packets ? _('%d packets, %s').format(c.packets, size(c.bytes)) : '-';
}

function flowText(f: Flow): string {
  const ids = f.callIds;
  const text = ids
    ? `gre call-id ${ids.client} → ${ids.server}${ids.translated == null ? '' : ` (${ids.translated})`}`
    : f.clientPort == null ? f.transport : `${f.transport} ${f.clientPort} → ${f.serverPort}`;
  return f.offloaded ? `${text} (${_('offloaded')})` : text;
}

/** When the last entry of a session expires without traffic; offloaded entries have no timeout. */
function expires(flows: Flow[]): string {
  const left = flows.map((f) => f.timeout).filter((s): s is number => s != null);
  return left.length ? `${Math.max(...left)} s` : '-';
}

/** A LuCI table; cells are text unless already nodes, titled for phones (where LuCI's CSS hides the titles row). */
function table(titles: string[], rows: LuCI.Child[][], empty: string): HTMLElement {
  const cell = (content: LuCI.Child, i: number) => E('td', { class: 'td', 'data-title': titles[i] }, [content]);
  return E('table', { class: 'table' }, [
    E('tr', { class: 'tr table-titles' }, titles.map((t) => E('th', { class: 'th' }, [t]))),
    ...(rows.length
      ? rows.map((row) => E('tr', { class: 'tr' }, row.map(cell)))
      : [E('tr', { class: 'tr placeholder' }, [E('td', { class: 'td' }, [E('em', [empty])])])]),
  ]);
}

function section(title: string, body: LuCI.Children, id: string): HTMLElement {
  return E('div', { class: 'cbi-section', id }, [E('h3', [title]), E('div', {}, body)]);
}

/** A part's mode, with the time left of an allow for a while, or that it ended. */
function modeText(p: Status['protocols'][number], mode: string): string {
  if (mode === 'allow') return p.left == null ? _('allowed') : _('allowed, %s left').format(formatSpan(p.left));
  return p.expired ? _('blocked: the allow for a while ended') : _('blocked');
}

/** A protocol's last use by a LAN client, from the usage record the table keeps. */
function lastUse(p: Status['protocols'][number]): string {
  const u = p.lastUsed[0];
  if (!u) return _('not used');
  const by = p.lastUsed.length > 1 ? _('%s and %d more').format(u.client, p.lastUsed.length - 1) : u.client;
  return _('%s ago by %s').format(formatSpan(u.ago), by);
}

function renderTraffic(answer: Answer<Status> | null): LuCI.Child[] {
  const status = result(answer);
  if (typeof status === 'string') return [warning(status)];
  const recorded = status.usageAge != null;
  const rows = status.protocols.flatMap((p) =>
    p.parts.map((part, i) => [p.title, part.title, modeText(p, part.mode), count(part.passed), count(part.blocked), recorded && i === 0 ? lastUse(p) : '']),
  );
  return [
    ...status.warnings.map(warning),
    table([_('Protocol'), _('Part'), _('Mode'), _('Passed'), _('Blocked'), _('Last use')], rows, ''),
    recorded ? E('p', { class: 'cbi-value-description' }, [_('Last use recorded for %s: since the router started, or since the table was last made anew (firewall stop).').format(formatSpan(status.usageAge!))]) : '',
  ];
}

function renderSessions(answer: Answer<Sessions> | null): LuCI.Child[] {
  const sessions = result(answer);
  if (typeof sessions === 'string') return [warning(sessions)];
  const title = (name: string) => PROTOCOLS.find((p) => p.name === name)?.title ?? name;
  const rows = sessions.clients.flatMap((c) =>
    c.sessions.map((s) => [
      s.client,
      title(s.protocol),
      s.server,
      E('span', {}, s.flows.flatMap((f, i) => (i ? [E('br'), flowText(f)] : [flowText(f)]))),
      count(s.sent),
      count(s.received),
      expires(s.flows),
    ]),
  );
  return [table([_('Client'), _('Protocol'), _('Server'), _('Flows'), _('Sent'), _('Received'), _('Expires in')], rows, _('No VPN sessions.'))];
}

function renderDoctor(answer: Answer<Doctor> | null): LuCI.Child[] {
  const doctor = result(answer);
  if (typeof doctor === 'string') return [warning(doctor)];
  const order = Object.keys(VERDICTS);
  const checks = doctor.checks.slice().sort((a, b) => order.indexOf(a.verdict) - order.indexOf(b.verdict));
  const rows = checks.map((c) => [
    E('span', { class: `label ${VERDICTS[c.verdict][1]}` }, [VERDICTS[c.verdict][0]]),
    c.summary,
    c.fix ? E('code', [c.fix]) : '',
  ]);
  return [table([_('Result'), _('Finding'), _('Fix')], rows, '')];
}

/** Explains an error a VPN client shows: the checks of its causes for that client, and the answer. */
function errorForm(): HTMLElement {
  const input = (placeholder: string) => E('input', { type: 'text', class: 'cbi-input-text', placeholder }) as HTMLInputElement;
  const code = input(_('809, or the message'));
  const client = input(_('192.168.1.20 (optional)'));
  const out = E('div', {});
  const explained = (answer: Answer<Explained> | null): LuCI.Child[] => {
    const r = result(answer);
    if (typeof r === 'string') return [warning(r)];
    const e = r.clientError;
    return [
      e.known ? E('p', [`${e.code ? _('Error %d').format(e.code) : _('Message')} (${e.client}): ${e.meaning}`]) : '',
      E('p', [E('strong', [_('Finding:')]), ' ', r.finding]),
      r.fix ? E('p', [E('strong', [_('Fix:')]), ' ', E('code', [r.fix])]) : '',
      ...renderDoctor(answer),
    ];
  };
  const explainIt = () => {
    if (code.value.trim() === '') return null;
    dom.content(out, E('em', [_('Checking…')]));
    return L.resolveDefault(callExplain(code.value.trim(), client.value.trim()), null).then((answer) => dom.content(out, explained(answer)));
  };
  return E('div', { class: 'cbi-value', id: 'vpn-passthrough-error' }, [
    E('label', { class: 'cbi-value-title' }, [_('Error code shown by the VPN client')]),
    E('div', { class: 'cbi-value-field' }, [
      code, ' ', client, ' ',
      E('button', { class: 'cbi-button cbi-button-action', click: explainIt }, [_('Explain')]),
      E('div', { class: 'cbi-value-description' }, [_('Windows error numbers (809, 691 …) or the message of macOS, iOS or Android; the client: the LAN address of the computer that shows it.')]),
      out,
    ]),
  ]);
}

const VIA: Record<ChangeEntry['via'], string> = { cli: _('command line'), ubus: 'ubus', luci: 'LuCI', uci: _('file edited') };
const RESULTS: Record<ChangeEntry['result'], [title: string, badge: string]> = {
  applied: [_('Applied'), 'success'],
  refused: [_('Refused'), 'warning'],
  failed: [_('Failed'), 'important'],
};

function renderChanges(answer: Answer<{ entries: ChangeEntry[] }> | null): LuCI.Child[] {
  const log = result(answer);
  if (typeof log === 'string') return [warning(log)];
  const rows = log.entries.map((e) => [
    new Date(e.time).toLocaleString(),
    VIA[e.via] ?? e.via,
    whoOf(e),
    E('span', {}, [e.request, ...e.changes.flatMap((c) => [E('br'), `${c.option}: ${formatValue(c.before)} → ${formatValue(c.after)}`])]),
    E('span', { class: `label ${RESULTS[e.result][1]}`, title: e.reason ?? '' }, [RESULTS[e.result][0]]),
  ]);
  return [table([_('Time'), _('Through'), _('User'), _('Change'), _('Result')], rows, _('No change recorded since the router started.'))];
}

/** LuCI's validate(): true, or what the backend's parser says of the value (each entry of a list). */
function check(spec: OptionSpec, value: LuCI.form.Value_): true | string {
  for (const raw of ([] as string[]).concat(value ?? [])) {
    const parsed = raw === '' ? null : spec.type.parse(raw);
    if (parsed && 'error' in parsed) return `${parsed.error}; ${parsed.fix}`;
  }
  return true;
}

/**
 * An option as the backend reads it (src/core/schema.ts): unset shows the
 * backend's default, so saving writes only what changed, and every input is
 * checked by the backend's own parser, so nothing it would refuse is saved.
 */
function option<O extends LuCI.form.AbstractValue>(s: LuCI.form.AbstractSection, cls: LuCI.form.OptionClass<O>,
  name: string, title: string, description?: string): O {
  const spec = SECTION_TYPES[s.sectiontype][name];
  const o = s.option(cls, name, title, description);
  const load = o.load; // widgets load their choices first
  o.load = (sid) => Promise.resolve(load.call(o, sid)).then((value) => value ?? spec.default ?? null);
  o.validate = (_sid, value) => check(spec, value);
  return o;
}

/** Allow for a while: the choices, and the router's clock (the deadline is the router's, not the browser's). */
const DURATIONS: [seconds: number, label: string][] = [[3600, _('for 1 hour')], [8 * 3600, _('for 8 hours')], [86400, _('for 1 day')]];

function routerClock(status: Status | string): () => number {
  const shown = Date.now();
  const now = typeof status === 'string' ? shown / 1000 : status.now;
  return () => Math.floor(now + (Date.now() - shown) / 1000);
}

/**
 * option until (Unix time) as a choice: until blocked (no until), or for
 * an hour, 8 hours or a day from the moment of saving; a deadline already
 * set shows with the time left, or as ended.
 */
function allowFor(s: LuCI.form.AbstractSection, now: () => number): LuCI.form.ListValue {
  const o = s.option(form.ListValue, 'until', _('Allowed'), _('For a while: then the protocol is blocked again, live tunnels too, by the table itself.'));
  o.value('', _('until blocked here'));
  for (const [seconds, label] of DURATIONS) o.value(`for ${seconds}`, label);
  o.load = (sid) => {
    const until = uci.get(CONFIG, sid, 'until');
    if (typeof until !== 'string' || until === '') return '';
    const at = new Date(Number(until) * 1000).toLocaleString();
    const left = Number(until) - now();
    o.value(until, left > 0 ? _('until %s (%s left)').format(at, formatSpan(left)) : _('until %s: ended, blocked').format(at));
    return until;
  };
  o.write = (sid, value) => uci.set(CONFIG, sid, 'until', /^for \d+$/.test(String(value)) ? String(now() + Number(String(value).slice(4))) : value);
  o.remove = (sid) => uci.unset(CONFIG, sid, 'until');
  // Blocking removes it (an option whose dependency is off is removed on save).
  o.depends('mode', 'allow');
  return o;
}

/** One half of an overview answer, or the answer itself when it is an error (or none). */
function part<K extends 'status' | 'sessions'>(o: Answer<{ status: Status; sessions: Sessions }> | null, key: K) {
  return o && !('error' in o) ? o[key] : (o as Answer<never> | null);
}

/**
 * Once LuCI has committed the config (the page reloads right after): procd's
 * reload trigger has applied it by then; where it has not (it failed), this
 * apply runs and says why.
 */
function applyBackend(): void {
  const notify = (message: string) =>
    ui.addNotification(null, E('p', [_('VPN passthrough could not apply the new settings: %s').format(message)]), 'danger');
  callApply(true)
    .then((answer) => {
      // busy: another apply (the service's reload trigger) holds the lock and applies the same file.
      if ('error' in answer && answer.error.code !== 'busy') notify(answer.error.message);
    })
    .catch((e: Error) => notify(e.message));
}

export default view.extend({
  load() {
    return Promise.all([L.resolveDefault(callOverview(), null), L.resolveDefault(callDoctor(), null), L.resolveDefault(callLog(RECENT), null)]);
  },

  render([overview, doctor, changes]) {
    const m = new form.Map(CONFIG, _('VPN Passthrough'),
      _('Lets VPN clients on the LAN reach their servers through the NAT of this router, or blocks them, protocol by protocol. A block also cuts tunnels that are already up.'));

    const now = routerClock(result(part(overview, 'status')));
    let s = m.section(form.NamedSection, 'global', 'global', _('General'));
    option(s, form.Flag, 'enabled', _('Enabled'), _('Off removes the table: firewall4 alone decides.')).rmempty = false;
    const zones = option(s, widgets.ZoneSelect, 'lan_zone', _('LAN zones'), _('Firewall zones whose clients get passthrough.'));
    zones.multiple = true;
    zones.nocreate = true;
    // Emptied, the list is removed and the default 'lan' comes back; an empty value (no zone: set with the CLI) stays.
    zones.remove = (sid) => uci.get(CONFIG, sid, 'lan_zone') === '' || uci.unset(CONFIG, sid, 'lan_zone');
    const devices = option(s, widgets.DeviceSelect, 'lan_device', _('More LAN devices'),
      _('Devices whose clients get passthrough besides those of the zones.'));
    devices.multiple = true;
    devices.noaliases = true;
    option(s, form.Flag, 'log', _('Log blocked attempts'), _('To the system log (logread).')).rmempty = false;
    const limit = option(s, form.Value, 'log_limit', _('At most'), _('Log lines per second, minute, hour or day, such as 10/minute.'));
    limit.depends('log', '1');
    limit.retain = true;
    option(s, form.Value, 'unused_days', _('Unused for'),
      _('Days without a LAN client using an allowed protocol before the diagnostics suggest blocking it.'));

    for (const p of PROTOCOLS) {
      const insecure = p.insecure ? `<br /><strong>${_('Insecure:')}</strong> ${p.insecure}` : '';
      s = m.section(form.NamedSection, p.name, 'protocol', p.title, p.summary + insecure);

      const mode = option(s, form.Flag, 'mode', _('Allow'), _('Off blocks it: new connections are refused and live tunnels stop.'));
      mode.enabled = 'allow';
      mode.disabled = 'block';
      mode.rmempty = false;
      allowFor(s, now);

      if (p.name === 'ipsec') {
        // Raw ESP/AH follow the mode unless set apart; a value equal to the mode is not apart (as the backend's set):
        // it shows as "same", and when the mode changes an esp that followed it is removed.
        const esp = option(s, form.ListValue, 'esp', _('Raw ESP and AH'),
          _('IP protocols 50 and 51, used without NAT-T. Through NAT, raw ESP serves one LAN client per server.'));
        esp.value('', _('Same as IKE and NAT-T'));
        esp.value('allow', _('Allow'));
        esp.value('block', _('Block'));
        const stored = (sid: string) => uci.get(CONFIG, sid, 'esp');
        esp.load = (sid) => (stored(sid) === (uci.get(CONFIG, sid, 'mode') ?? PROTOCOL_OPTIONS.mode.default) ? null : stored(sid));
        esp.remove = (sid) => stored(sid) === mode.formvalue(sid) || uci.unset(CONFIG, sid, 'esp');
        esp.write = (sid, value) => (value === mode.formvalue(sid) ? esp.remove(sid) : uci.set(CONFIG, sid, 'esp', value));
      }

      const family = option(s, form.ListValue, 'family', _('Address family'));
      family.value('any', _('IPv4 and IPv6'));
      family.value('ipv4', _('IPv4 only'));
      family.value('ipv6', _('IPv6 only'));

      const client = option(s, form.DynamicList, 'client', _('Only these LAN clients'),
        _('IP addresses, subnets or MAC addresses; empty: every client.'));
      const server = option(s, form.DynamicList, 'server', _('Only to these servers'), _('IP addresses or subnets; empty: any server.'));

      // A scope narrows an allow; kept while blocked so that allowing again restores it.
      for (const scope of [family, client, server]) {
        scope.depends('mode', 'allow');
        scope.retain = true;
      }
    }

    const traffic = E('div', {}, renderTraffic(part(overview, 'status')));
    const live = E('div', {}, renderSessions(part(overview, 'sessions')));
    // LuCI's poll calls a function as soon as it is added (luci.js: Poll.add starts the loop, whose first
    // step runs at once); load() has just fetched, so that first call is skipped. One backend call per
    // round, every 10 s: each starts QuickJS and nft on the router.
    let fetched = true;
    poll.add(() => {
      if (fetched) return (fetched = false);
      return L.resolveDefault(callOverview(), null).then((o) => {
        dom.content(traffic, renderTraffic(part(o, 'status')));
        dom.content(live, renderSessions(part(o, 'sessions')));
      });
    }, 10);

    return m.render().then((mapEl) => {
      // Read-only (the session may not write the config): no Save buttons, nothing to re-apply.
      if (m.readonly) this.handleSave = this.handleSaveApply = this.handleReset = null;
      else document.addEventListener('uci-applied', applyBackend);
      return E('div', {}, [
        mapEl,
        section(_('Traffic since the last apply'), traffic, 'vpn-passthrough-traffic'),
        section(_('Live sessions'), live, 'vpn-passthrough-sessions'),
        section(_('Diagnostics'), renderDoctor(doctor), 'vpn-passthrough-doctor'),
        section(_('A VPN client fails?'), errorForm(), 'vpn-passthrough-explain'),
        section(_('Recent changes'), renderChanges(changes), 'vpn-passthrough-changes'),
      ]);
    });
  },
});
