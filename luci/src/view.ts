// Network -> VPN Passthrough: allow or block each VPN protocol (a form on
// /etc/config/vpn-passthrough, saved and applied by LuCI with rollback, then
// re-applied by the backend), and what the router sees: counters, live
// sessions, doctor's findings. luci/build.mjs turns it into a LuCI view.

import view from 'luci:view';
import form from 'luci:form';
import rpc from 'luci:rpc';
import poll from 'luci:poll';
import dom from 'luci:dom';
import ui from 'luci:ui';
import type { Status } from '../../src/app/status.ts';
import type { Sessions } from '../../src/app/sessions.ts';
import type { Check } from '../../src/core/doctor.ts';
import type { Count } from '../../src/core/counters.ts';
import type { Flow } from '../../src/core/sessions.ts';

/** Every answer of the rpcd plugin: the result, or an error in the body (docs/ubus.md). */
type Answer<T> = T | { error: { code: string; message: string; field?: string } };
type Doctor = { checks: Check[] };

const declare = <T>(method: string) =>
  rpc.declare<Answer<T>>({ object: 'vpn-passthrough', method, reject: true });
const callStatus = declare<Status>('status');
const callSessions = declare<Sessions>('sessions');
const callDoctor = declare<Doctor>('doctor');
const callApply = declare<{ applied: boolean; warnings: string[] }>('apply');

const PROTOCOLS = [
  {
    name: 'pptp',
    title: 'PPTP',
    summary: _('Control on TCP 1723, data in enhanced GRE. Several LAN clients to one server need the PPTP helper of the kernel.'),
    insecure: _('PPTP (MS-CHAPv2) can be cracked offline: prefer IPsec/IKEv2 or WireGuard.'),
  },
  { name: 'l2tp', title: 'L2TP', summary: _('L2TP without IPsec, on UDP 1701. L2TP/IPsec counts as IPsec.') },
  { name: 'ipsec', title: 'IPsec', summary: _('IKE on UDP 500 and NAT-T on UDP 4500; raw ESP and AH have their own setting.') },
  { name: 'gre', title: 'GRE', summary: _('Plain GRE tunnels (IP protocol 47), such as links between sites; not the GRE of PPTP.') },
];

const VERDICTS: Record<Check['verdict'], string> = {
  fail: _('Failed'),
  warn: _('Warning'),
  info: _('Info'),
  ok: _('OK'),
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

/** A LuCI table; cells are text unless already nodes. */
function table(titles: string[], rows: LuCI.Child[][], empty: string): HTMLElement {
  return E('table', { class: 'table' }, [
    E('tr', { class: 'tr table-titles' }, titles.map((t) => E('th', { class: 'th' }, [t]))),
    ...(rows.length
      ? rows.map((row) => E('tr', { class: 'tr' }, row.map((cell) => E('td', { class: 'td' }, [cell]))))
      : [E('tr', { class: 'tr placeholder' }, [E('td', { class: 'td' }, [E('em', [empty])])])]),
  ]);
}

function section(title: string, body: LuCI.Children, id: string): HTMLElement {
  return E('div', { class: 'cbi-section', id }, [E('h3', [title]), E('div', {}, body)]);
}

function renderTraffic(answer: Answer<Status> | null): LuCI.Child[] {
  const status = result(answer);
  if (typeof status === 'string') return [warning(status)];
  const rows = status.protocols.flatMap((p) =>
    p.parts.map((part) => [p.title, part.title, part.mode === 'allow' ? _('allowed') : _('blocked'), count(part.passed), count(part.blocked)]),
  );
  return [
    ...status.warnings.map(warning),
    table([_('Protocol'), _('Part'), _('Mode'), _('Passed'), _('Blocked')], rows, ''),
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
    E('span', { class: `label vpn-passthrough-${c.verdict}` }, [VERDICTS[c.verdict]]),
    c.summary,
    c.fix ? E('code', [c.fix]) : '',
  ]);
  return [table([_('Result'), _('Finding'), _('Fix')], rows, '')];
}

/** Re-applies the table once LuCI has committed the config (the page reloads right after). */
function applyBackend(): void {
  const notify = (message: string) =>
    ui.addNotification(null, E('p', [_('VPN passthrough could not apply the new settings: %s').format(message)]), 'danger');
  callApply()
    .then((answer) => {
      // busy: another apply (the service's reload trigger) holds the lock and applies the same file.
      if ('error' in answer && answer.error.code !== 'busy') notify(answer.error.message);
    })
    .catch((e: Error) => notify(e.message));
}

export default view.extend({
  load() {
    return Promise.all([
      L.resolveDefault(callStatus(), null),
      L.resolveDefault(callSessions(), null),
      L.resolveDefault(callDoctor(), null),
    ]);
  },

  render([status, sessions, doctor]) {
    const m = new form.Map('vpn-passthrough', _('VPN Passthrough'),
      _('Lets VPN clients on the LAN reach their servers through the NAT of this router, or blocks them, protocol by protocol. A block also cuts tunnels that are already up.'));

    let s = m.section(form.NamedSection, 'global', 'global', _('General'));
    const enabled = s.option(form.Flag, 'enabled', _('Enabled'), _('Off removes the table: firewall4 alone decides.'));
    enabled.default = '1';
    enabled.rmempty = false;
    const log = s.option(form.Flag, 'log', _('Log blocked attempts'), _('To the system log, at most 10 lines a minute by default.'));
    log.rmempty = false;

    for (const p of PROTOCOLS) {
      const insecure = p.insecure ? `<br /><strong>${_('Insecure:')}</strong> ${p.insecure}` : '';
      s = m.section(form.NamedSection, p.name, 'protocol', p.title, p.summary + insecure);

      const mode = s.option(form.Flag, 'mode', _('Allow'), _('Off blocks it: new connections are refused and live tunnels stop.'));
      mode.enabled = 'allow';
      mode.disabled = 'block';
      mode.default = 'allow';
      mode.rmempty = false;

      if (p.name === 'ipsec') {
        const esp = s.option(form.ListValue, 'esp', _('Raw ESP and AH'),
          _('IP protocols 50 and 51, used without NAT-T. Through NAT, raw ESP serves one LAN client per server.'));
        esp.value('', _('Same as IKE and NAT-T'));
        esp.value('allow', _('Allow'));
        esp.value('block', _('Block'));
      }

      const family = s.option(form.ListValue, 'family', _('Address family'));
      family.value('any', _('IPv4 and IPv6'));
      family.value('ipv4', _('IPv4 only'));
      family.value('ipv6', _('IPv6 only'));
      family.default = 'any';

      const client = s.option(form.DynamicList, 'client', _('Only these LAN clients'),
        _('IP addresses, subnets or MAC addresses; empty: every client.'));
      client.datatype = 'or(ipaddr,macaddr)';

      const server = s.option(form.DynamicList, 'server', _('Only to these servers'), _('IP addresses or subnets; empty: any server.'));
      server.datatype = 'ipaddr';

      // A scope narrows an allow; kept while blocked so that allowing again restores it.
      for (const scope of [family, client, server]) {
        scope.depends('mode', 'allow');
        scope.retain = true;
      }
    }

    const traffic = E('div', {}, renderTraffic(status));
    const live = E('div', {}, renderSessions(sessions));
    poll.add(() =>
      Promise.all([L.resolveDefault(callStatus(), null), L.resolveDefault(callSessions(), null)]).then(([st, se]) => {
        dom.content(traffic, renderTraffic(st));
        dom.content(live, renderSessions(se));
      }), 5);
    document.addEventListener('uci-applied', applyBackend);

    return m.render().then((mapEl) =>
      E('div', {}, [
        mapEl,
        section(_('Traffic since the last apply'), traffic, 'vpn-passthrough-traffic'),
        section(_('Live sessions'), live, 'vpn-passthrough-sessions'),
        section(_('Diagnostics'), renderDoctor(doctor), 'vpn-passthrough-doctor'),
      ]));
  },
});
