// Scope addresses: only well-formed addresses and subnets get into a ruleset.

import t from 'tap';
import { Subnets, compressIPv6, parseIpOrSubnet, parseMac } from '../src/core/address.ts';

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

t.test('IPv6 as /proc prints it becomes canonical text', async (t) => {
  t.equal(compressIPv6('2001:0db8:0001:0000:0000:0000:0000:0010'), '2001:db8:1::10');
  t.equal(compressIPv6('0000:0000:0000:0000:0000:0000:0000:0001'), '::1');
  t.equal(compressIPv6('2001:0db8:0000:0001:0000:0000:0001:0001'), '2001:db8:0:1::1:1', 'the longest zero run');
  t.equal(compressIPv6('2001:0db8:0001:0002:0003:0004:0005:0006'), '2001:db8:1:2:3:4:5:6');
});

t.test('subnets answer membership', async (t) => {
  const lan = new Subnets(['192.168.1.0/24', '2001:db8:1::/64', '10.0.0.1']);
  t.ok(lan.contains('192.168.1.200'));
  t.notOk(lan.contains('192.168.2.1'));
  t.ok(lan.contains('2001:db8:1::10'));
  t.notOk(lan.contains('2001:db8:2::10'));
  t.ok(lan.contains('10.0.0.1'), 'a single address');
  t.notOk(lan.contains('10.0.0.2'));
  t.notOk(lan.contains('not an address'));
});

t.test('IPv6 is kept in its canonical form, which nft reads (an IPv4 tail too)', async (t) => {
  t.match(parseIpOrSubnet('2001:DB8:0:0::1.2.3.4'), { family: 'ipv6', text: '2001:db8::102:304' });
  t.match(parseIpOrSubnet('2001:db8:0::/48'), { family: 'ipv6', text: '2001:db8::/48' });
  t.match(parseIpOrSubnet('192.168.1.0/24'), { family: 'ipv4', text: '192.168.1.0/24' });
});
