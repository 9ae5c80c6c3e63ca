"""An L2TP (version 2) control peer over UDP 1701, messages built with scapy.

`serve` answers each Start-Control-Connection-Request with a Reply addressed
to the tunnel the request assigned. `once HOST` sends a request from a
connected UDP socket and prints `ok` for the reply, `timeout`, or the errno
name of the error the kernel reported from an ICMP message (a router's
admin-prohibited arrives as EHOSTUNREACH at once, not as a timeout).
`hold HOST ROUNDS` repeats that on the same socket until an error.
`serve6` serves IPv6; a client given an IPv6 address uses IPv6."""
import errno
import socket
import struct
import sys
import time

from scapy.layers.l2tp import L2TP

SCCRQ, SCCRP = 1, 2
HEADER = 12  # control messages carry length, tunnel, session, Ns and Nr


def avp(attribute, value):
    """A mandatory IETF attribute-value pair (RFC 2661 section 4.1)."""
    return struct.pack("!HHH", 0x8000 | (6 + len(value)), 0, attribute) + value


def control(tunnel_id, message_type, assigned_tunnel_id):
    avps = (avp(0, struct.pack("!H", message_type))  # Message Type
            + avp(2, b"\x01\x00")  # Protocol Version 1.0
            + avp(3, struct.pack("!I", 3))  # Framing Capabilities
            + avp(7, b"lab")  # Host Name
            + avp(9, struct.pack("!H", assigned_tunnel_id)))  # Assigned Tunnel ID
    return bytes(L2TP(hdr="control+length+sequence", tunnel_id=tunnel_id) / avps)


def parse(data):
    """(header, {attribute: value}) of a control message."""
    header = L2TP(data)
    avps, rest = {}, data[HEADER:]
    while len(rest) >= 6:
        flags_length, _, attribute = struct.unpack_from("!HHH", rest)
        length = flags_length & 0x3FF
        avps[attribute] = rest[6:length]
        rest = rest[length:]
    return header, avps


def serve(family):
    s = socket.socket(family, socket.SOCK_DGRAM)
    if family == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", 1701))
    next_tunnel = 100
    while True:
        data, peer = s.recvfrom(4096)
        _, avps = parse(data)
        if avps.get(0) == struct.pack("!H", SCCRQ) and 9 in avps:
            (their_tunnel,) = struct.unpack("!H", avps[9])
            s.sendto(control(their_tunnel, SCCRP, next_tunnel), peer)
            next_tunnel += 1


def client(host, rounds):
    """One SCCRQ per round on one socket (one conntrack entry), 0.1 s apart;
    a round waits 1 s when holding, so a silent drop shows within 2 s."""
    s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(3 if rounds == 1 else 1)
    # Connected, so the kernel reports ICMP errors about our datagrams to recv.
    s.connect((host, 1701))
    for n in range(rounds):
        try:
            s.send(control(0, SCCRQ, 7))
            header, avps = parse(s.recv(4096))
            ok = header.tunnel_id == 7 and avps.get(0) == struct.pack("!H", SCCRP)
            print("ok" if ok else "unexpected reply", flush=True)
            if not ok:
                return
        except socket.timeout:
            return print("timeout", flush=True)
        except OSError as e:
            return print(errno.errorcode.get(e.errno, type(e).__name__), flush=True)
        if n + 1 < rounds:
            time.sleep(0.1)


if sys.argv[1] == "serve":
    serve(socket.AF_INET)
elif sys.argv[1] == "serve6":
    serve(socket.AF_INET6)
else:
    client(sys.argv[2], 1 if sys.argv[1] == "once" else int(sys.argv[3]))
