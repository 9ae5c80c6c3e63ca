"""Fills this network namespace's conntrack table with N real entries by
sending crafted packets out of a veth (they are tracked at output and never
answered). One entry in EVERY is a VPN flow (PPTP control, PPTP GRE, IKE,
NAT-T, L2TP, ESP, plain GRE in turn), the rest are ordinary TCP/UDP, from
254 LAN clients. Usage: fill-conntrack.py N EVERY"""
import socket
import struct
import sys


def ip_header(proto, src, dst, length):
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + length, 0, 0, 64, proto, 0,
                       socket.inet_aton(src), socket.inet_aton(dst))


def tcp_syn(sport, dport):
    return struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 5 << 4, 0x02, 65535, 0, 0)


def udp(sport, dport):
    return struct.pack("!HHHH", sport, dport, 12, 0) + b"vpn!"


def gre(key):
    if key is None:
        return struct.pack("!HH", 0, 0x0800)
    return struct.pack("!HHHH", 0x2001, 0x880B, 0, key)


def vpn(k, n):
    """The k-th VPN packet of the cycle: (protocol, payload)."""
    kind = k % 7
    if kind == 0:
        return 6, tcp_syn(20000 + n % 40000, 1723)
    if kind == 1:
        return 47, gre(1 + n % 65000)
    if kind == 2:
        return 17, udp(500, 500)
    if kind == 3:
        return 17, udp(4500, 4500)
    if kind == 4:
        return 17, udp(1701, 1701)
    if kind == 5:
        return 50, struct.pack("!II", n, 1) + b"\0" * 16
    return 47, gre(None)


def main():
    count, every = int(sys.argv[1]), int(sys.argv[2])
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    for n in range(count):
        client = f"192.168.{1 + n // 254 % 16}.{1 + n % 254}"
        # Servers vary so that no two entries share a tuple.
        server = f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"
        if n % every == 0:
            proto, payload = vpn(n // every, n)
        else:
            proto, payload = (6, tcp_syn(1024 + n % 60000, 443)) if n % 2 else (17, udp(1024 + n % 60000, 53))
        s.sendto(ip_header(proto, client, server, len(payload)) + payload, (server, 0))


main()
