// luci-app-vpn-passthrough: the menu and ACL files rpcd and LuCI read, the
// built view in LuCI's view form, its po template, and the page itself in
// headless Chromium on a stand-in for LuCI (test/luci/luci.js) whose ubus
// answers come from fixtures: it renders, saves a block through uci and
// re-applies after LuCI's apply, lets raw ESP follow IPsec, refuses what the
// backend would refuse, edits the LAN zones, devices and log limit, fetches
// once on load, titles its cells for phones, badges doctor's verdicts with
// LuCI's classes, explains a VPN client's error code, lists the recent
// changes, and without write access offers no Save at all.

import t from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Page } from 'playwright-core';
import { parseUci } from '../src/core/uci.ts';
import { catalogScript, compilePo, readLmo, readPo } from '../tools/lmo.mjs';
import { LANGUAGES, PO } from './lib/i18n.ts';
import { ROOT } from './lib/paths.ts';

const MENU = `${ROOT}luci/root/usr/share/luci/menu.d/luci-app-vpn-passthrough.json`;
const ACL = `${ROOT}luci/root/usr/share/rpcd/acl.d/luci-app-vpn-passthrough.json`;
const VIEW = `${ROOT}dist/luci/htdocs/luci-static/resources/view/vpn-passthrough/vpn-passthrough.js`;
const SOURCE = `${ROOT}luci/src/view.ts`;
const POT = `${ROOT}luci/po/templates/vpn-passthrough.pot`;
const STUB = `${ROOT}test/luci`;
const CHROMIUM = '/usr/bin/chromium';

const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8'));

t.test('menu and ACL: the keys LuCI and rpcd read, the methods of docs/ubus.md', async (t) => {
  const menu = readJson(MENU);
  const acl = readJson(ACL);
  t.same(Object.keys(menu), ['admin/network/vpn-passthrough'], 'one entry under Network');
  const node = menu['admin/network/vpn-passthrough'];
  t.equal(typeof node.title, 'string');
  t.same(node.action, { type: 'view', path: 'vpn-passthrough/vpn-passthrough' }, 'a JS view');
  t.same(node.depends, { acl: ['luci-app-vpn-passthrough'], uci: { 'vpn-passthrough': true } }, 'needs the ACL and the config');

  t.same(Object.keys(acl), ['luci-app-vpn-passthrough'], 'the ACL group the menu names');
  const group = acl['luci-app-vpn-passthrough'];
  t.equal(typeof group.description, 'string');
  t.same(group.read, { ubus: { 'vpn-passthrough': ['status', 'sessions', 'doctor', 'overview', 'get', 'log'] }, uci: ['vpn-passthrough', 'firewall', 'network'] },
    'read: the queries, and the zones and devices the General section offers');
  t.same(group.write, { ubus: { 'vpn-passthrough': ['set', 'apply'] }, uci: ['vpn-passthrough'] }, 'write: the changes');

  const documented = [...readFileSync(`${ROOT}docs/ubus.md`, 'utf8').matchAll(/^\| `(\w+)` +\|/gm)].map((m) => m[1]);
  const granted = [...group.read.ubus['vpn-passthrough'], ...group.write.ubus['vpn-passthrough']];
  t.same(granted.slice().sort(), documented.slice().sort(), 'the ACL grants exactly the documented methods');
});

t.test('the built view is in the form LuCI loads', async (t) => {
  execFileSync(process.execPath, [`${ROOT}luci/build.mjs`], { cwd: ROOT });
  const js = readFileSync(VIEW, 'utf8');
  const lines = js.split('\n');
  t.equal(lines[0], "'use strict';", 'first line');
  const requires = lines.slice(1, lines.indexOf('')).map((l) => /^'require ([\w.]+)(?: as (\w+))?';$/.exec(l));
  t.same(requires.map((r) => r?.[1]), ['view', 'form', 'rpc', 'poll', 'dom', 'ui', 'uci', 'tools.widgets'],
    'then one require line per module, as LuCI parses them');
  t.match(js, /\nreturn view\.extend\(\{\n[\s\S]*\n\}\);\n$/, 'ends in return view.extend({...});');
  t.notMatch(js, /^\s*(import|export)\b/m, 'no module syntax left');
  t.match(js, /\nfunction parseIpOrSubnet\(/, "the backend's own address parser is bundled in");
  // LuCI compiles the file as a function body whose parameters are the modules (named after 'as' when given).
  const names = requires.map((r) => r?.[2] ?? r?.[1].replace(/[^\w]/g, '_')) as string[];
  t.doesNotThrow(() => new Function('window', 'document', 'L', ...names, js), 'compiles as that function body');
});

t.test('the po template holds exactly the translatable strings', async (t) => {
  const source = readFileSync(SOURCE, 'utf8');
  const literal = /\b_\(\s*'((?:[^'\\]|\\.)*)'/g;
  const strings = new Set([...source.matchAll(literal)].map((m) => m[1].replace(/\\'/g, "'")));
  strings.add(readJson(MENU)['admin/network/vpn-passthrough'].title);
  strings.add(readJson(ACL)['luci-app-vpn-passthrough'].description);
  t.equal((source.match(/\b_\(/g) ?? []).length, [...source.matchAll(literal)].length, 'every _() takes a string literal');
  const msgids = [...readFileSync(POT, 'utf8').matchAll(/^msgid (".*")$/gm)].map((m) => JSON.parse(m[1]) as string).filter(Boolean);
  t.same(msgids.slice().sort(), [...strings].sort(), 'node luci/build.mjs --pot is up to date');
});

const SHIPPED = readFileSync(`${ROOT}files/etc/config/vpn-passthrough`, 'utf8');

/**
 * ubus as rpcd answers it for one session: uci on a copy of a config file (the
 * shipped one unless told), firewall's zones and luci-rpc's devices from
 * fixtures where the ACL grants them, vpn-passthrough from fixtures.
 */
class Ubus {
  acl: 'read' | 'write' = 'write';
  calls: { object: string; method: string; args: Record<string, unknown> }[] = [];
  committed = configValues(SHIPPED);
  staged = configValues(SHIPPED);
  /** `uci changes` at each commit, as libuci's delta. */
  applied: unknown[][][] = [];
  delta: unknown[][] = [];
  fixtures: Record<string, unknown> = Object.fromEntries(
    // explain: doctor's answer with an error code (doctor {error, client}).
    ['status', 'sessions', 'doctor', 'log', 'explain'].map((m) => [m, readJson(`${STUB}/fixtures/${m}.json`)]),
  );

  readable: string[] = readJson(ACL)['luci-app-vpn-passthrough'].read.uci;

  /** As the plugin answers `overview`: status and sessions in one run, or the first error of either. */
  overview(): [number, unknown?] {
    const { status, sessions } = this.fixtures;
    if (status === undefined || sessions === undefined) return [3];
    const failed = [status, sessions].find((a) => typeof a === 'object' && a !== null && 'error' in a);
    return [0, failed ?? { status, sessions }];
  }

  /** A fresh session on this /etc/config/vpn-passthrough. */
  reset(config = SHIPPED, acl: 'read' | 'write' = 'write') {
    Object.assign(this, { acl, calls: [], committed: configValues(config), staged: configValues(config), applied: [], delta: [] });
  }

  call(object: string, method: string, args: Record<string, unknown>): [number, unknown?] {
    this.calls.push({ object, method, args });
    const write = ['set', 'delete', 'apply'].includes(method) && object !== 'session';
    if (write && this.acl === 'read') return [6]; // UBUS_STATUS_PERMISSION_DENIED
    if (object === 'session' && method === 'access') return [0, { access: args.function === 'read' || this.acl === 'write' }];
    if (object === 'vpn-passthrough') {
      if (method === 'apply') return [0, { applied: true, enabled: true, lan_devices: ['br-lan'], pptp_helper: true, warnings: [] }];
      if (method === 'overview') return this.overview();
      if (method === 'doctor' && args.error !== undefined) return [0, this.fixtures.explain];
      return method in this.fixtures ? [0, this.fixtures[method]] : [3]; // UBUS_STATUS_METHOD_NOT_FOUND
    }
    if (object === 'luci-rpc' && method === 'getNetworkDevices') return [0, readJson(`${STUB}/fixtures/devices.json`)];
    if (object !== 'uci') return [4]; // UBUS_STATUS_NOT_FOUND
    if (method === 'get' && !this.readable.includes(args.config as string)) return [6];
    if (method === 'get' && args.config === 'firewall') return [0, readJson(`${STUB}/fixtures/firewall.json`)];
    if (method === 'apply') {
      if (!this.delta.length) return [5]; // UBUS_STATUS_NO_DATA
      this.applied.push(this.delta);
      this.delta = [];
      this.committed = JSON.parse(JSON.stringify(this.staged));
      return [0];
    }
    if (method === 'confirm') return [0];
    if (args.config !== 'vpn-passthrough') return [4];
    const sid = args.section as string;
    switch (method) {
      case 'get':
        return [0, { values: this.staged }];
      case 'set':
        for (const [opt, value] of Object.entries(args.values as Record<string, unknown>)) {
          if (JSON.stringify(this.staged[sid][opt]) === JSON.stringify(value)) continue; // libuci records no delta for the same value
          this.staged[sid][opt] = value;
          this.delta.push(['set', sid, opt, value]);
        }
        return [0];
      case 'delete':
        for (const opt of args.options as string[]) {
          if (!(opt in this.staged[sid])) continue;
          delete this.staged[sid][opt];
          this.delta.push(['remove', sid, opt]);
        }
        return [0];
    }
    return [3];
  }

  called(object: string, method: string) {
    return this.calls.filter((c) => c.object === object && c.method === method);
  }
}

/** A /etc/config/vpn-passthrough in the shape of ubus `uci get`. */
function configValues(text: string): Record<string, Record<string, unknown>> {
  const doc = parseUci(text, 'vpn-passthrough');
  return Object.fromEntries(doc.sections.map((s) => [s.name!, {
    '.name': s.name, '.type': s.type, '.anonymous': false,
    ...Object.fromEntries(s.options.map((o) => [o.name, o.isList ? o.values : o.values[0]])),
  }]));
}

/**
 * The language LuCI's dispatcher picks for a request (determine_request_language,
 * luci.main.lang 'auto'): the first Accept-Language tag offered in
 * luci.languages, where each translation package puts its code ("zh_cn" for
 * zh-CN, else the tag's language), with '-' for '_'; else en.
 */
function requestLanguage(accept = ''): string {
  const offered = new Set(LANGUAGES.map((l) => l.code.replace(/-/g, '_')));
  for (const part of accept.split(',')) {
    const [lang, region] = part.split(';')[0].trim().split('-');
    const cc = region ? `${lang}_${region.toLowerCase()}` : null;
    if (cc && offered.has(cc)) return cc.replace(/_/g, '-');
    if (offered.has(lang)) return lang;
  }
  return 'en';
}

/** admin/translations/<lang>: the language's catalog, compiled from luci/po as make does, in the script action_translations writes (none for en). */
function translations(lang: string): Buffer {
  const l = LANGUAGES.find((x) => x.code === lang);
  return catalogScript(l ? [readLmo(compilePo(readFileSync(PO(l)))!)] : []);
}

function serve(ubus: Ubus) {
  const files: Record<string, string> = {
    '/luci-static/resources/luci.js': `${STUB}/luci.js`,
    '/luci-static/resources/view/vpn-passthrough/vpn-passthrough.js': VIEW,
  };
  const handle = (req: IncomingMessage, res: ServerResponse, body: string) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'POST' && path === '/ubus') {
      const { id, params } = JSON.parse(body);
      const [, object, method, args] = params;
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ jsonrpc: '2.0', id, result: ubus.call(object, method, args) }));
      return;
    }
    if (path === '/') {
      const env = {
        sessionid: 'stub', requestpath: 'vpn-passthrough/vpn-passthrough', resource: '/luci-static/resources',
        pollinterval: 5, apply_display: 0.5, nodespec: { readonly: ubus.acl === 'read' },
      };
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      const html = readFileSync(`${STUB}/index.html`, 'utf8').replace('/*ENV*/null', JSON.stringify(env));
      res.end(html.split('{{LANG}}').join(requestLanguage(req.headers['accept-language'])));
      return;
    }
    const catalog = /^\/cgi-bin\/luci\/admin\/translations\/([\w-]+)$/.exec(path);
    if (catalog) {
      res.writeHead(200, { 'Content-Type': 'application/javascript; charset=UTF-8' });
      res.end(translations(catalog[1]));
      return;
    }
    if (files[path]) {
      res.writeHead(200, { 'Content-Type': 'application/javascript' });
      res.end(readFileSync(files[path]));
      return;
    }
    res.writeHead(path === '/favicon.ico' ? 204 : 404);
    res.end();
  };
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => handle(req, res, body));
  });
  return new Promise<{ url: string; close: () => Promise<void> }>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
      close: () => new Promise((done) => server.close(() => done())),
    })),
  );
}

async function until(check: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) if (check()) return true;
  return check();
}

const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing (apt-get install chromium)`;

/** The shipped config with IPsec's raw ESP given explicitly, as files/etc/config/vpn-passthrough had it. */
function withEsp(esp: string, mode = 'allow'): string {
  const text = SHIPPED.replace(/^\toption esp .*\n/m, '');
  const ipsec = /^config protocol 'ipsec'\n\toption mode '\w+'\n/m;
  if (!ipsec.test(text)) throw new Error("the shipped config has no \"config protocol 'ipsec'\" with its mode first");
  return text.replace(ipsec, `config protocol 'ipsec'\n\toption mode '${mode}'\n\toption esp '${esp}'\n`);
}

t.test('the page in headless Chromium', { skip, timeout: 240_000 }, async (t) => {
  execFileSync(process.execPath, [`${ROOT}luci/build.mjs`], { cwd: ROOT });
  const ubus = new Ubus();
  const server = await serve(ubus);
  t.teardown(server.close);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--no-first-run', '--disable-sync', '--disable-quic'],
  });
  t.teardown(() => browser.close());

  /** A fresh browser context (its own profile state) on the page, with its errors and alerts collected. */
  async function open(viewport = { width: 1200, height: 900 }, locale = 'en-US'):
    Promise<{ page: Page; errors: string[]; alerts: string[]; loads: () => number }> {
    const context = await browser.newContext({ viewport, locale });
    const page = await context.newPage();
    const errors: string[] = [];
    const alerts: string[] = [];
    let loads = 0;
    page.on('load', () => loads++);
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('dialog', (d) => { alerts.push(d.message()); void d.dismiss(); });
    await page.goto(server.url);
    await page.locator('#vpn-passthrough-doctor').waitFor({ timeout: 20_000 }).catch(async (e: Error) => {
      throw new Error(`${e.message}\npage errors: ${errors.join('\n')}\n${await page.locator('#maincontent').innerHTML()}`);
    });
    return { page, errors, alerts, loads: () => loads };
  }
  /**
   * Clicks Save and waits for LuCI's uci.save() to end: it sends one uci set or delete per section
   * at once and reloads the config only after every one answered, so the reload marks the save done.
   */
  async function save(page: Page): Promise<boolean> {
    const from = ubus.calls.length;
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    return until(() => {
      const after = ubus.calls.slice(from);
      const sent = after.findIndex((c) => c.object === 'uci' && ['set', 'delete'].includes(c.method));
      return sent >= 0 && after.slice(sent).some((c) => c.object === 'uci' && c.method === 'get' && c.args.config === 'vpn-passthrough');
    }, 20_000);
  }
  const toggle = (page: Page, protocol: string) => page.locator(`#cbi-vpn-passthrough-${protocol}-mode input[type=checkbox]`);
  const sectionOf = (page: Page, protocol: string) => page.locator('.cbi-section', { has: page.locator(`#cbi-vpn-passthrough-${protocol}-mode`) });
  const field = (page: Page, section: string, option: string) => page.locator(`#cbi-vpn-passthrough-${section}-${option}`);
  /** Types into a text input as a user does (keyup runs LuCI's validation). */
  const type = async (page: Page, selector: string, text: string) => {
    const input = page.locator(selector);
    await input.fill('');
    await input.press('Backspace');
    await input.pressSequentially(text);
  };

  t.test('renders toggles, notes, counters, sessions and findings', async (t) => {
    ubus.reset();
    const { page, errors } = await open();
    for (const p of ['pptp', 'l2tp', 'ipsec', 'gre']) {
      t.ok(await toggle(page, p).isChecked(), `${p}: a toggle, on (allow)`);
      t.match(await sectionOf(page, p).locator('.cbi-section-descr').textContent(), /\w+ \w+/, `${p}: a one-line explanation`);
      for (const o of ['family', 'client', 'server']) t.ok(await field(page, p, o).isVisible(), `${p}: ${o} shown with allow`);
    }
    t.match(await sectionOf(page, 'pptp').locator('.cbi-section-descr').textContent(), /Insecure:.*cracked offline/, 'PPTP is marked insecure');
    t.notMatch(await sectionOf(page, 'ipsec').locator('.cbi-section-descr').textContent(), /Insecure/, 'IPsec is not');
    t.ok(await page.locator('#cbi-vpn-passthrough-ipsec-esp select').isVisible(), 'IPsec has its raw ESP/AH setting');
    t.ok(await page.locator('#cbi-vpn-passthrough-global-enabled input[type=checkbox]').isChecked(), 'enabled');
    t.notOk(await page.locator('#cbi-vpn-passthrough-global-log input[type=checkbox]').isChecked(), 'log off');

    const traffic = page.locator('#vpn-passthrough-traffic tr');
    t.equal(await traffic.count(), 1 + 7, 'a counter row per part');
    t.match(await traffic.filter({ hasText: 'PPTP control and data' }).textContent(), /allowed.*36 packets, 3\.1 KiB/, 'passed PPTP');
    t.match(await traffic.filter({ hasText: 'plain GRE' }).textContent(), /-\s*12 packets, 1\.1 KiB/, 'blocked GRE');

    const sessions = page.locator('#vpn-passthrough-sessions tr');
    t.equal(await sessions.count(), 1 + 4, 'a row per session of the fixture');
    t.match(await sessions.nth(1).textContent(), /192\.168\.1\.10\s*PPTP\s*203\.0\.113\.7\s*tcp 59526 → 1723gre call-id 1 → 256 \(59526\)\s*13 packets, 948 B/, 'PPTP with its control and GRE flows');
    t.match(await sessions.nth(4).textContent(), /192\.168\.1\.11\s*IPsec/, 'the second client');

    const doctor = page.locator('#vpn-passthrough-doctor tr');
    t.equal(await doctor.count(), 1 + 7, 'a row per check');
    t.match(await doctor.nth(1).textContent(), /^Warning/, 'warnings first');
    t.equal(await page.locator('#vpn-passthrough-doctor code').count(), 2, 'the two findings come with their fix');
    t.match(await page.locator('#vpn-passthrough-doctor code').first().textContent(), /conntrack -D|flow_offloading/, 'a fix to run');

    mkdirSync(`${ROOT}test/output`, { recursive: true });
    await page.screenshot({ path: `${ROOT}test/output/luci.png`, fullPage: true });

    const saved = ubus.fixtures.sessions;
    t.teardown(() => { ubus.fixtures.sessions = saved; });
    ubus.fixtures.sessions = { ...(saved as object), clients: [] };
    t.ok(await page.getByText('No VPN sessions.').waitFor({ timeout: 25_000 }).then(() => true, () => false), 'poll refreshes the sessions');
    t.same(errors, [], 'no errors in the page');
    await page.context().close();
  });

  t.test('load fetches status and sessions once, in one call; the poll refreshes them later, one call a round', async (t) => {
    ubus.reset();
    const { page, errors } = await open();
    const count = (method: string) => ubus.called('vpn-passthrough', method).length;
    await page.waitForTimeout(3_000); // LuCI's poll runs a new function at once: that would be a second fetch now
    t.same([count('overview'), count('doctor')], [1, 1], 'one overview (status and sessions) and one doctor in the first 3 s');
    t.ok(await until(() => count('overview') === 2, 30_000), 'the poll fetches again (every 10 s)');
    t.same([count('status'), count('sessions'), count('doctor')], [0, 0, 1], 'nothing else: doctor is not polled');
    t.same(errors, [], 'no errors in the page');
    await page.context().close();
  });

  t.test("doctor's verdicts are LuCI badges", async (t) => {
    ubus.reset();
    const saved = ubus.fixtures.doctor;
    t.teardown(() => { ubus.fixtures.doctor = saved; });
    ubus.fixtures.doctor = { checks: [
      { id: 'a', verdict: 'ok', summary: 'fine' },
      { id: 'b', verdict: 'info', summary: 'unknown' },
      { id: 'c', verdict: 'warn', summary: 'odd', fix: 'look' },
      { id: 'd', verdict: 'fail', summary: 'broken', fix: 'mend' },
    ] };
    const { page, errors } = await open();
    const badges = await page.locator('#vpn-passthrough-doctor td .label').evaluateAll((els) => els.map((e) => [e.className, e.textContent]));
    // luci-theme-bootstrap's cascade.css colours .label.important, .warning, .notice and .success.
    t.same(badges, [['label important', 'Failed'], ['label warning', 'Warning'], ['label notice', 'Info'], ['label success', 'OK']],
      'worst first, each with the label class LuCI themes colour');
    t.same(errors, [], 'no errors in the page');
    await page.context().close();
  });

  t.test('every cell carries its column title, which LuCI shows on phones', async (t) => {
    ubus.reset();
    const { page, errors } = await open({ width: 390, height: 844 });
    for (const id of ['traffic', 'sessions', 'doctor', 'changes']) {
      const table = page.locator(`#vpn-passthrough-${id} table`);
      const titles = await table.locator('th').allTextContents();
      const cells = await table.locator('tr:not(.table-titles):not(.placeholder)').evaluateAll((rows) =>
        rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.getAttribute('data-title'))));
      t.ok(cells.length > 0, `${id}: rows`);
      t.same(cells, cells.map(() => titles), `${id}: data-title on every cell, its column's title`);
    }
    await page.screenshot({ path: `${ROOT}test/output/luci-phone.png`, fullPage: true });
    t.same(errors, [], 'no errors in the page');
    await page.context().close();
  });

  t.test('recent changes: who changed what, through what; fetched once, with the limit', async (t) => {
    ubus.reset();
    const { page, errors } = await open();
    t.same(ubus.called('vpn-passthrough', 'log').map((c) => c.args), [{ limit: 10 }], 'one log call on load, the 10 most recent');
    const rows = page.locator('#vpn-passthrough-changes tr:not(.table-titles)');
    t.equal(await rows.count(), 5, 'a row per entry');
    t.match(await rows.nth(0).textContent(), /LuCI\s*root\s*saved through rpcd's uci \(LuCI Save & Apply\)gre\.mode: 'allow' → 'block'\s*Applied/, 'the page: LuCI, the user, the option before and after');
    t.match(await rows.nth(1).textContent(), /ubus\s*root\s*set \{"protocols":\{"pptp":\{"mode":"allow"\}\}\}pptp\.mode: 'block' → 'allow'/, 'ubus');
    t.match(await rows.nth(3).textContent(), /command line\s*root\s*set l2tp\.client 192\.168\.1\.0\/24 00:11:22:33:44:55l2tp\.client: \(default\) → '192\.168\.1\.0\/24' '00:11:22:33:44:55'/, 'a list');
    const refused = rows.nth(2).locator('.label');
    t.same([await refused.textContent(), await refused.getAttribute('class')], ['Refused', 'label warning'], 'refused, as a badge');
    t.match(await refused.getAttribute('title'), /invalid value 'blok'/, 'the reason on the badge');
    t.same(errors, [], 'no errors in the page');
    await page.context().close();
  });

  t.test("a VPN client's error code: the checks of its causes, the finding and the fix", async (t) => {
    ubus.reset();
    const { page, errors } = await open();
    const form = page.locator('#vpn-passthrough-error');
    t.match(await form.locator('label').textContent(), /Error code shown by the VPN client/);
    await form.getByRole('button', { name: 'Explain' }).click();
    await page.waitForTimeout(300);
    t.same(ubus.called('vpn-passthrough', 'doctor').length, 1, 'nothing asked without a code');
    await form.locator('input').nth(0).fill('809');
    await form.locator('input').nth(1).fill('192.168.1.10');
    await form.getByRole('button', { name: 'Explain' }).click();
    await form.getByText('Finding:').waitFor({ timeout: 10_000 });
    t.same(ubus.called('vpn-passthrough', 'doctor').slice(1).map((c) => c.args), [{ error: '809', client: '192.168.1.10' }], 'doctor with the code and the client');
    t.match(await form.textContent(), /Error 809 \(Windows\): the server did not answer/, 'what the error means');
    t.match(await form.textContent(), /Finding: this router passes the VPN traffic of 192\.168\.1\.10 and the server answers/);
    t.match(await form.locator('code').first().textContent(), /^look at UDP 500 and 4500/, 'the fix');
    t.equal(await form.locator('tr:not(.table-titles)').count(), 6, 'a row per check run');
    t.same(errors, [], 'no errors in the page');
    await page.context().close();
  });

  t.test("in the browser's language: the catalog of its translation package, as LuCI serves it", async (t) => {
    const template = readPo(readFileSync(POT)).filter((m) => m.id !== null).map((m) => m.id!);
    for (const [locale, l] of [['de-DE', LANGUAGES.find((x) => x.po === 'de')!], ['zh-CN', LANGUAGES.find((x) => x.po === 'zh_Hans')!]] as const) {
      ubus.reset();
      const { page, errors } = await open(undefined, locale);
      const strings = new Map(readPo(readFileSync(PO(l))).map((m) => [m.id, m.values[0]]));
      const tr = (msgid: string) => strings.get(msgid) || msgid;
      t.equal(await page.locator('html').getAttribute('lang'), l.code, `${locale}: LuCI picks ${l.code}`);
      t.equal(await page.locator('h2').first().textContent(), tr('VPN Passthrough'), `${l.code}: the title`);
      t.same(await page.locator('#vpn-passthrough-traffic h3, #vpn-passthrough-sessions h3, #vpn-passthrough-doctor h3').allTextContents(),
        [tr('Traffic since the last apply'), tr('Live sessions'), tr('Diagnostics')], `${l.code}: the sections`);
      t.same(await page.locator('#vpn-passthrough-doctor th').allTextContents(), [tr('Result'), tr('Finding'), tr('Fix')], `${l.code}: the table titles`);
      t.ok(await page.getByText(tr('Off removes the table: firewall4 alone decides.')).isVisible(), `${l.code}: the descriptions`);
      const text = await page.locator('#maincontent').innerText();
      t.same(template.filter((id) => id.length > 15 && tr(id) !== id && text.includes(id)), [], `${l.code}: none of our longer English strings left on the page`);
      await page.screenshot({ path: `${ROOT}test/output/luci-${l.code}.png`, fullPage: true });
      t.same(errors, [], 'no errors in the page');
      await page.context().close();
    }
  });

  t.test('PPTP blocked: one uci change, LuCI applies it, then the backend applies', async (t) => {
    ubus.reset();
    const { page, errors, loads } = await open();
    await toggle(page, 'pptp').uncheck();
    t.notOk(await field(page, 'pptp', 'client').isVisible(), 'the scope hides with block');
    await page.getByRole('button', { name: 'Save & Apply' }).click();

    t.ok(await until(() => ubus.called('vpn-passthrough', 'apply').length > 0, 20_000), 'rpc apply is called');
    t.same(ubus.called('vpn-passthrough', 'apply')[0].args, { if_needed: true }, "if needed only: procd's reload trigger has applied the commit, unless that failed");
    t.same(ubus.applied, [[['set', 'pptp', 'mode', 'block']]], 'LuCI committed exactly vpn-passthrough.pptp.mode=block');
    const order = ubus.calls.map((c) => `${c.object}.${c.method}`);
    t.ok(order.lastIndexOf('uci.confirm') < order.indexOf('vpn-passthrough.apply'), 'after the apply was confirmed (uci-applied)');
    t.same(ubus.called('uci', 'set').find((c) => c.args.section === 'pptp')?.args.values, { mode: 'block' }, 'the form sent mode=block');
    t.equal(ubus.committed.pptp.mode, 'block');

    t.ok(await until(() => loads() === 2, 20_000), 'LuCI reloads the page after an apply');
    await page.locator('.cbi-page-actions').waitFor();
    t.notOk(await toggle(page, 'pptp').isChecked(), 'reloaded: PPTP shows blocked');
    t.ok(await toggle(page, 'l2tp').isChecked(), 'the others still allowed');
    t.same(errors, [], 'no errors in the page');
    await page.context().close();
  });

  t.test('allow for a while, by the router clock; the time left and the last use of each protocol', async (t) => {
    ubus.reset();
    const status = ubus.fixtures.status as { now: number; protocols: { name: string; until: number | null; left: number | null }[] };
    const { page, errors } = await open();
    const traffic = page.locator('#vpn-passthrough-traffic');
    t.match(await traffic.locator('tr', { hasText: 'PPTP control and data' }).textContent(), /42 s ago by 192\.168\.1\.10$/, 'PPTP: when, by whom');
    t.match(await traffic.locator('tr', { hasText: 'IPsec IKE' }).textContent(), /7 s ago by 192\.168\.1\.11 and 1 more$/, 'the latest of two clients');
    t.match(await traffic.locator('tr', { hasText: 'IPsec NAT-T' }).textContent(), /-$/, "once per protocol, on its first part's row");
    t.match(await traffic.locator('tr', { hasText: 'L2TP' }).textContent(), /not used$/);
    t.match(await traffic.textContent(), /Last use recorded for 3 d 4 h/);
    const choice = page.locator('#cbi-vpn-passthrough-l2tp-until select');
    t.equal(await choice.inputValue(), '', 'allowed until blocked here, to begin with');
    t.same(await choice.locator('option').allTextContents(), ['until blocked here', 'for 1 hour', 'for 8 hours', 'for 1 day']);
    await choice.selectOption({ label: 'for 8 hours' });
    t.ok(await save(page), 'saved');
    const written = Number((ubus.delta[0] ?? [])[3]);
    t.same(ubus.delta, [['set', 'l2tp', 'until', String(written)]], 'one option: until');
    t.ok(written >= status.now + 8 * 3600 && written < status.now + 8 * 3600 + 120, `until ${written}: the router's clock (status.now ${status.now}) + 8 h, not the browser's`);
    t.same(errors, [], 'no errors in the page');
    await page.context().close();

    // The saved state on a fresh page, as status answers then: 8 h left.
    const saved = ubus.fixtures.status;
    t.teardown(() => { ubus.fixtures.status = saved; });
    ubus.fixtures.status = { ...status, protocols: status.protocols.map((p) => (p.name === 'l2tp' ? { ...p, until: written, left: written - status.now } : p)) };
    const again = await open();
    t.match(await again.page.locator('#vpn-passthrough-traffic tr', { hasText: 'L2TP' }).textContent(), /allowed, 8 h left/, 'the traffic table: the time left');
    const shown = again.page.locator('#cbi-vpn-passthrough-l2tp-until select');
    t.equal(await shown.inputValue(), String(written), 'the deadline is the choice shown');
    t.match(await shown.locator('option:checked').textContent(), /^until .* \(8 h left\)$/, 'with the time left');
    await toggle(again.page, 'l2tp').uncheck();
    t.notOk(await field(again.page, 'l2tp', 'until').isVisible(), 'blocking hides it');
    t.ok(await save(again.page), 'saved again');
    t.same(ubus.delta.slice(1).sort(), [['remove', 'l2tp', 'until'], ['set', 'l2tp', 'mode', 'block']], 'block removes the deadline');
    t.same(again.errors, [], 'no errors in the page');
    await again.page.context().close();

    // A deadline that has passed: shown as ended.
    ubus.reset(SHIPPED.replace("config protocol 'gre'\n\toption mode 'allow'\n", `config protocol 'gre'\n\toption mode 'allow'\n\toption until '${status.now - 60}'\n`));
    t.equal(ubus.committed.gre.until, String(status.now - 60), 'a config whose GRE allow ended a minute ago');
    const ended = await open();
    t.match(await ended.page.locator('#cbi-vpn-passthrough-gre-until option:checked').textContent(), /^until .*: ended, blocked$/);
    t.same(ended.errors, [], 'no errors in the page');
    await ended.page.context().close();
  });

  t.test('raw ESP and AH follow the IPsec toggle unless set apart', async (t) => {
    /** Opens the page on this config, blocks IPsec with the toggle, applies: what raw ESP showed, what LuCI committed. */
    async function blockIpsec(config: string) {
      ubus.reset(config);
      const { page, errors } = await open();
      const shown = await page.locator('#cbi-vpn-passthrough-ipsec-esp select').inputValue();
      await toggle(page, 'ipsec').uncheck();
      await page.getByRole('button', { name: 'Save & Apply' }).click();
      await until(() => ubus.called('vpn-passthrough', 'apply').length > 0, 20_000);
      await page.context().close();
      return { shown, applied: ubus.applied, esp: ubus.committed.ipsec.esp, errors };
    }
    const shipped = /^\toption esp /m.test(SHIPPED);
    t.same(await blockIpsec(SHIPPED), {
      shown: '',
      applied: [[['set', 'ipsec', 'mode', 'block'], ...(shipped ? [['remove', 'ipsec', 'esp']] : [])]],
      esp: undefined,
      errors: [],
    }, `the shipped config (${shipped ? 'with' : 'without'} an esp option): shown as following, mode block, no esp left`);
    t.same(await blockIpsec(withEsp('allow')), {
      shown: '', applied: [[['set', 'ipsec', 'mode', 'block'], ['remove', 'ipsec', 'esp']]], esp: undefined, errors: [],
    }, "esp 'allow' under mode 'allow' is not apart: shown as following, removed when the mode changes");
    t.same(await blockIpsec(withEsp('block')), { shown: 'block', applied: [[['set', 'ipsec', 'mode', 'block']]], esp: 'block', errors: [] },
      "esp 'block' under mode 'allow' was set apart: shown, kept");
    ubus.reset(withEsp('block'));
    const { page, errors } = await open();
    await toggle(page, 'pptp').uncheck();
    t.ok(await save(page), 'saved');
    t.same(ubus.delta, [['set', 'pptp', 'mode', 'block']], 'an esp set apart is left alone when IPsec is not touched');
    t.same(errors, [], 'no errors in the page');
    await page.context().close();
    // A fresh page on the saved state (the page re-renders after a save; acting on it meanwhile races).
    const again = await open();
    await again.page.locator('#cbi-vpn-passthrough-ipsec-esp select').selectOption('');
    t.ok(await save(again.page), 'saved again');
    t.same(ubus.delta[1], ['remove', 'ipsec', 'esp'], "choosing 'Same as IKE and NAT-T' removes it");
    t.same(again.errors, [], 'no errors in the page');
    await again.page.context().close();
  });

  t.test('the page refuses what the backend refuses, with its words, and saves nothing', async (t) => {
    ubus.reset();
    const { page, errors, alerts } = await open();
    const input = (section: string, option: string) => `#cbi-vpn-passthrough-${section}-${option} input[type=text]`;
    // LuCI's ipaddr datatype takes both; the backend's parser (src/core/address.ts) does not.
    await type(page, input('pptp', 'client'), '192.168.1.5/24');
    t.match(await page.locator(input('pptp', 'client')).getAttribute('data-tooltip'),
      /^'192\.168\.1\.5\/24' has host bits set after \/24: give the network address of the subnet; write /, "host bits: the backend's message");
    await field(page, 'pptp', 'client').getByRole('button', { name: '+' }).click();
    t.equal(await field(page, 'pptp', 'client').locator('.item').count(), 0, 'not added to the list');
    await type(page, input('l2tp', 'server'), '10.0.0.0/255.0.0.0');
    t.match(await page.locator(input('l2tp', 'server')).getAttribute('data-tooltip'), /has an invalid prefix length \(0 to 32\)/, 'a dotted mask');
    await page.locator('#cbi-vpn-passthrough-global-log input[type=checkbox]').check();
    await type(page, input('global', 'log_limit'), '10/fortnight');
    t.match(await page.locator(input('global', 'log_limit')).getAttribute('data-tooltip'), /write a rate such as '10\/minute'/, 'a bad rate');
    t.equal(await page.locator('.cbi-input-invalid').count(), 3, 'each marked invalid');

    await page.getByRole('button', { name: 'Save', exact: true }).click();
    const dialog = page.locator('#modal_overlay .modal');
    t.ok(await dialog.waitFor({ timeout: 5_000 }).then(() => true, () => false), 'Save is refused');
    t.match(await dialog.textContent(), /^Save error.*Option "At most" contains an invalid input value\. invalid value '10\/fortnight'; write a rate such as '10\/minute'/,
      "LuCI's dialog names the first bad option and the backend's complaint");
    t.same([ubus.called('uci', 'set'), ubus.called('uci', 'delete')], [[], []], 'nothing sent to uci');
    await dialog.getByRole('button', { name: 'Dismiss' }).click();
    t.equal(await page.locator('.cbi-input-invalid').count(), 3, 'the form is left as it was');

    await type(page, input('pptp', 'client'), '192.168.1.0/24');
    await page.locator(input('pptp', 'client')).press('Enter');
    await type(page, input('l2tp', 'server'), '');
    await type(page, input('global', 'log_limit'), '5/second');
    t.ok(await save(page), 'corrected, it saves');
    t.same(ubus.delta, [['set', 'global', 'log', '1'], ['set', 'global', 'log_limit', '5/second'], ['set', 'pptp', 'client', ['192.168.1.0/24']]],
      'the valid values only');
    t.same(alerts, [], 'no alert');
    // LuCI's handler for the Save button leaves the refused save's rejection unhandled, as here.
    t.same(errors.filter((e) => !/contains an invalid input value/.test(e)), [], 'no errors in the page but the refused save');
    await page.context().close();
  });

  t.test('General: LAN zones, more LAN devices and the log limit', async (t) => {
    ubus.reset();
    const { page, errors } = await open();
    const zones = field(page, 'global', 'lan_zone');
    const devices = field(page, 'global', 'lan_device');
    t.same(await zones.locator('li').evaluateAll((lis) => lis.map((li) => [li.getAttribute('data-value'), (li.querySelector('input') as unknown as { checked: boolean }).checked])),
      [['lan', true], ['wan', false], ['guest', false]], "the firewall's zones, 'lan' chosen");
    t.equal(await zones.locator('.create-item-input').count(), 0, 'no made-up zone');
    t.same(await devices.locator('li').evaluateAll((lis) => lis.map((li) => li.getAttribute('data-value'))),
      ['br-lan', 'eth0', 'lan1', 'lan2', 'wg0'], "the router's devices but lo, none chosen");
    t.notOk(await field(page, 'global', 'log_limit').isVisible(), 'the log limit shows with logging on');

    await zones.locator('li[data-value=guest] input').check();
    await devices.locator('li[data-value=wg0] input').check();
    await type(page, '#cbi-vpn-passthrough-global-lan_device .create-item-input', 'averyveryverylong0');
    t.match(await devices.locator('.create-item-input').getAttribute('data-tooltip'), /15 characters at most/, "a device name the backend refuses");
    await type(page, '#cbi-vpn-passthrough-global-lan_device .create-item-input', 'tun0');
    await devices.locator('.create-item-input').press('Enter');
    await page.locator('#cbi-vpn-passthrough-global-log input[type=checkbox]').check();
    t.equal(await page.locator('#cbi-vpn-passthrough-global-log_limit input').inputValue(), '10/minute', 'the default limit shown');
    await type(page, '#cbi-vpn-passthrough-global-log_limit input', '30/hour');
    t.ok(await save(page), 'saved');
    t.same(ubus.delta, [['set', 'global', 'lan_zone', ['lan', 'guest']], ['set', 'global', 'lan_device', ['wg0', 'tun0']],
      ['set', 'global', 'log', '1'], ['set', 'global', 'log_limit', '30/hour']], 'zones, devices, log and its limit');
    t.same(errors, [], 'no errors in the page');
    await page.context().close();
  });

  t.test('backend failures are shown in place, the form still works', async (t) => {
    ubus.reset();
    const saved = { ...ubus.fixtures };
    t.teardown(() => { ubus.fixtures = saved; });
    ubus.fixtures.doctor = { error: { code: 'failed', message: 'nft -j list table failed: permission denied' } };
    delete ubus.fixtures.sessions; // ubus: method not found, as without the rpcd plugin
    const { page, errors } = await open();
    t.match(await page.locator('#vpn-passthrough-doctor').textContent(), /nft -j list table failed: permission denied/, 'the error of the body');
    t.match(await page.locator('#vpn-passthrough-sessions').textContent(), /No answer from the vpn-passthrough service/, 'no answer');
    t.ok(await toggle(page, 'pptp').isVisible(), 'the form is there');
    t.same(errors, [], 'no errors in the page');
    await page.context().close();
  });

  t.test('read-only ACL: every control disabled, no Save, nothing re-applied', async (t) => {
    ubus.reset(SHIPPED, 'read');
    const { page, errors } = await open();
    const controls = page.locator('.cbi-map input, .cbi-map select, .cbi-map button');
    const n = await controls.count();
    t.ok(n > 20, `${n} controls`);
    const enabled = [];
    for (let i = 0; i < n; i++) if (await controls.nth(i).isEnabled()) enabled.push(await controls.nth(i).evaluate((e) => e.outerHTML));
    t.same(enabled, [], 'none enabled');
    t.equal(await page.locator('.cbi-page-actions').count(), 0, 'no Save & Apply, Save or Reset (the view drops its handlers)');
    t.ok(await page.locator('#vpn-passthrough-sessions tr').count() > 1, 'status still shown');
    // Another page's apply fires uci-applied here too; a read-only session has nothing to re-apply.
    await page.evaluate("document.dispatchEvent(new CustomEvent('uci-applied'))");
    await page.waitForTimeout(1_000);
    t.same(ubus.calls.filter((c) => ['set', 'delete', 'apply'].includes(c.method)), [], 'nothing written or applied');
    t.equal(await page.locator('#notifications .alert-message').count(), 0, 'no failure to report');
    t.same(errors, [], 'no errors in the page');
    await page.context().close();
  });
});
