// Golden rulesets: every protocol x mode x family, scopes, logging and the
// odd system facts. Each golden is a complete nft script (its header shows
// the config it came from), compared byte for byte, then judged by the real
// nft: checked, loaded and listed back in a fresh network namespace.
// UPDATE_GOLDEN=1 rewrites the files; review the diff before committing.

import t from 'tap';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadConfigText } from '../src/core/load.ts';
import { renderRuleset, type Facts } from '../src/core/render.ts';
import { configStamp } from '../src/core/stamp.ts';
import { asOf, formatTime } from '../src/core/timed.ts';
import { GOLDEN } from './lib/paths.ts';
import { canNetns, makeNetns } from '../lab/netns.ts';

interface Case {
  name: string;
  what: string;
  config: string;
  facts?: Partial<Facts>;
  /** The clock at apply (Unix seconds), for timed allows: the config as it stands then is rendered. */
  now?: number;
}

const FACTS: Omit<Facts, 'stamp'> = { lanDevices: ['br-lan'], pptpHelper: true, source: '/etc/config/vpn-passthrough', uptime: 120 };

function matrix(): Case[] {
  const cases: Case[] = [];
  for (const proto of ['pptp', 'l2tp', 'ipsec', 'gre']) {
    for (const mode of ['allow', 'block']) {
      for (const family of ['any', 'ipv4', 'ipv6']) {
        cases.push({
          name: `${proto}-${mode}-${family}`,
          what: `${proto} ${mode}ed in ${family === 'any' ? 'both families' : family + (mode === 'block' ? ' (family narrows only an allow)' : ' only')}`,
          config: `config protocol '${proto}'\n\toption mode '${mode}'\n\toption family '${family}'\n`,
        });
      }
    }
  }
  return cases;
}

const CASES: Case[] = [
  { name: 'defaults', what: 'no config at all: everything allowed, as consumer routers do', config: '' },
  {
    name: 'all-blocked',
    what: 'every protocol blocked',
    config: ['pptp', 'l2tp', 'ipsec', 'gre'].map((p) => `config protocol '${p}'\n\toption mode 'block'\n`).join('\n'),
  },
  ...matrix(),
  {
    name: 'ipsec-esp-apart',
    what: 'IKE and NAT-T allowed, raw ESP and AH blocked (forces NAT-T)',
    config: "config protocol 'ipsec'\n\toption mode 'allow'\n\toption esp 'block'\n",
  },
  {
    name: 'scope-clients',
    what: 'PPTP only for listed LAN clients: an IPv4 address, a subnet, an IPv6 subnet and a MAC',
    config:
      "config protocol 'pptp'\n\tlist client '192.168.1.10'\n\tlist client '192.168.2.0/24'\n\tlist client 'fd00:1::/64'\n\tlist client '00:11:22:33:44:55'\n",
  },
  {
    name: 'scope-servers',
    what: 'IPsec only to listed servers, in both families',
    config: "config protocol 'ipsec'\n\tlist server '203.0.113.7'\n\tlist server '2001:db8:1::/48'\n",
  },
  {
    name: 'scope-full-ipv4',
    what: 'L2TP narrowed by family, clients and servers at once',
    config:
      "config protocol 'l2tp'\n\toption family 'ipv4'\n\tlist client '192.168.1.0/24'\n\tlist client 'aa:bb:cc:dd:ee:ff'\n\tlist server '198.51.100.0/24'\n",
  },
  {
    name: 'log-blocked',
    what: 'blocked attempts logged, at most 5 lines a second',
    config:
      "config global\n\toption log '1'\n\toption log_limit '5/second'\n\nconfig protocol 'pptp'\n\toption mode 'block'\n\nconfig protocol 'ipsec'\n\tlist client '192.168.1.10'\n",
  },
  { name: 'disabled', what: "option enabled '0': the table is removed", config: "config global\n\toption enabled '0'\n" },
  {
    name: 'timed-allow',
    what: 'PPTP allowed until a time (set pptp allow --for ...), L2TP narrowed until then too: the table blocks both by itself at that moment',
    config: "config protocol 'pptp'\n\toption until '4102444800'\n\nconfig protocol 'l2tp'\n\tlist client '192.168.1.10'\n\toption until '4102444800'\n",
    now: 4102437600,
  },
  {
    name: 'timed-allow-ended',
    what: 'an apply once the time of an allow for a while (IPsec) is up: blocked, raw ESP/AH with it; until on a blocked protocol (GRE) does nothing',
    config: "config protocol 'ipsec'\n\toption until '1718000000'\n\nconfig protocol 'gre'\n\toption until '1718000000'\n\toption mode 'block'\n",
    now: 1718000000,
  },
  {
    name: 'no-pptp-helper',
    what: 'kernel without nf_conntrack_pptp: no helper, PPTP still counted and passed',
    config: '',
    facts: { pptpHelper: false },
  },
  {
    name: 'several-devices',
    what: 'LAN devices from several zones, with a firewall4 wildcard',
    config: '',
    facts: { lanDevices: ['br-lan', 'br-guest', 'wg*', 'br-lan'] },
  },
];

function golden(c: Case): string {
  const config = c.config === '' ? ['#   (empty file)'] : c.config.trimEnd().split('\n').map((l) => `#   ${l}`);
  const facts = { ...FACTS, stamp: configStamp(c.config), ...c.facts };
  const header = [
    `# case: ${c.what}`,
    '# config:',
    ...config,
    `# facts: LAN devices ${facts.lanDevices.join(' ')}; PPTP helper ${facts.pptpHelper ? 'available' : 'missing'}`,
    ...(c.now === undefined ? [] : [`# clock at apply: ${formatTime(c.now)}`]),
    '#',
  ];
  const written = loadConfigText(c.config, facts.source).config;
  return `${header.join('\n')}\n${renderRuleset(c.now === undefined ? written : asOf(written, c.now), facts)}`;
}

const update = process.env.UPDATE_GOLDEN === '1';

t.test('rendered rulesets match their golden files', async (t) => {
  for (const c of CASES) {
    const path = `${GOLDEN}/${c.name}.nft`;
    const text = golden(c);
    if (update) writeFileSync(path, text);
    t.equal(text, readFileSync(path, 'utf8'), c.name);
  }
  const stale = readdirSync(GOLDEN).filter((f) => f.endsWith('.nft') && !CASES.some((c) => `${c.name}.nft` === f));
  t.same(stale, [], 'no golden file without a case');
});

t.test('the kernel accepts, loads and lists back every golden', { skip: canNetns === true ? false : canNetns }, async (t) => {
  const ns = makeNetns('golden');
  t.teardown(() => ns.remove());
  for (const c of CASES) {
    const path = `${GOLDEN}/${c.name}.nft`;
    const check = ns.run(['nft', '-c', '-f', path]);
    t.equal(check.stderr, '', `${c.name}: nft -c has no complaint`);
    t.equal(check.status, 0, `${c.name}: nft -c accepts it`);
    const load = ns.run(['nft', '-f', path]);
    t.equal(load.status, 0, `${c.name}: loads`);
    const list = ns.run(['nft', '-j', 'list', 'ruleset']);
    t.equal(list.status, 0, `${c.name}: nft lists it back as JSON`);
    const counters = (JSON.parse(list.stdout).nftables as { counter?: { name: string } }[]).filter((o) => o.counter);
    const script = readFileSync(path, 'utf8');
    // Two per part, the one naming the config, plus the PPTP helper's where the table hands PPTP to it.
    const expected = c.name === 'disabled' ? 0 : 15 + (script.includes('ct helper set') ? 1 : 0);
    t.equal(counters.length, expected, `${c.name}: named counters present`);
  }
});
