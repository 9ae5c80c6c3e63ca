// Scope addresses: only well-formed addresses and subnets get into a ruleset.

import t from 'tap';
import { parseIpOrSubnet, parseMac } from '../src/core/address.ts';

t.test('accepts what a router admin writes', async (t) => {
  for (const ok of ['192.168.1.10', '10.0.0.0/8', '0.0.0.0/0', '2001:db8::1', '2001:db8::/32', '::', '::ffff:192.0.2.1', 'fe80::1:2:3:4:5', '1:2:3:4:5:6:7:8']) {
    t.notOk('error' in parseIpOrSubnet(ok), ok);
  }
  t.same(parseIpOrSubnet('192.168.1.0/24'), { family: 'ipv4', text: '192.168.1.0/24' });
  t.same(parseIpOrSubnet('2001:db8::/48'), { family: 'ipv6', text: '2001:db8::/48' });
  t.same(parseMac('00:11:22:AA:bb:cc'), { family: 'mac', text: '00:11:22:aa:bb:cc' });
});

t.test('rejects anything else, saying why', async (t) => {
  const bad: [string, RegExp][] = [
    ['192.168.1.256', /not an IPv4 or IPv6/],
    ['192.168.1', /not an IPv4 or IPv6/],
    ['01.2.3.4', /not an IPv4 or IPv6/],
    ['1.2.3.4/33', /prefix length/],
    ['192.168.1.5/24', /host bits set/],
    ['2001:db8::1/32', /host bits set/],
    ['1::2::3', /not an IPv4 or IPv6/],
    ['1:2:3:4:5:6:7:8:9', /not an IPv4 or IPv6/],
    ['"; flush ruleset', /not an IPv4 or IPv6/],
    ['br-lan', /not an IPv4 or IPv6/],
  ];
  for (const [text, why] of bad) {
    const r = parseIpOrSubnet(text);
    t.match('error' in r ? r.error : '', why, text);
  }
  t.ok('error' in parseMac('00:11:22:33:44'), 'short MAC');
});
