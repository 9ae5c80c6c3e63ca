"""A peer for VPN traffic straight over IP: raw ESP (protocol 50) and plain
GRE (protocol 47, version 0), built with scapy and sent on raw sockets.

`serve esp|gre` echoes every such packet back to its source (behind the
NAT router, that is the router's WAN address). `once HOST esp|gre` sends one
packet and waits for its echo; `hold HOST esp|gre [ROUNDS]` keeps going,
0.1 s apart. Each round prints `ok`, or stops with `refused` (ICMP
admin-prohibited, type 3 code 13), `timeout` or the error's name."""
import socket
import sys
import time

from icmp import icmp_error, report_errors
from scapy.layers.inet import ICMP, IP
from scapy.layers.ipsec import ESP
from scapy.layers.l2 import GRE

PROTOCOLS = {"esp": 50, "gre": 47}


def packet(kind, n):
    if kind == "esp":
        # Not encrypted: nothing on the path can tell, and none decrypts it.
        return bytes(ESP(spi=0x1000, seq=n, data=f"ping {n}".encode()))
    # A tunnelled ping between inner addresses, as a GRE tunnel carries.
    return bytes(GRE(proto=0x0800) / IP(src="10.99.0.1", dst="10.99.0.2") / ICMP(seq=n) / b"ping")


def serve(kind):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, PROTOCOLS[kind])
    while True:
        data, (source, _) = s.recvfrom(65535)  # raw IPv4 sockets receive the IP header too
        payload = IP(data).payload
        # Enhanced GRE (version 1) is PPTP's, not ours.
        if kind == "gre" and payload.version != 0:
            continue
        s.sendto(bytes(payload), (source, 0))


def client(host, kind, rounds):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, PROTOCOLS[kind])
    report_errors(s)
    # Holding, a round waits 1 s so a silently dropped flow shows within 2 s.
    wait = 3 if rounds == 1 else 1
    s.connect((host, 0))  # only the server's packets, and ICMP errors about ours, reach us
    for n in range(rounds):
        sent = packet(kind, n)
        try:
            s.send(sent)
            deadline = time.monotonic() + wait
            while True:
                s.settimeout(max(deadline - time.monotonic(), 0.001))
                if bytes(IP(s.recv(65535)).payload) == sent:
                    break
        except socket.timeout:
            return print("timeout", flush=True)
        except OSError as e:
            return print(icmp_error(s, e), flush=True)
        print("ok", flush=True)
        if n + 1 < rounds:
            time.sleep(0.1)


def main():
    mode, rest = sys.argv[1], sys.argv[2:]
    if mode == "serve":
        serve(rest[0])
    else:
        client(rest[0], rest[1], 1 if mode == "once" else int(rest[2]) if len(rest) > 2 else 100)


main()
