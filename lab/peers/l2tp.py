"""An L2TP (version 2) control peer over UDP 1701, messages built with scapy.

`serve` answers each Start-Control-Connection-Request with a Reply addressed
to the tunnel the request assigned. `once HOST` sends a request from a
connected UDP socket and prints `ok` for the reply, `timeout`, or the errno
name of the error the kernel reported from an ICMP message (a router's
admin-prohibited arrives as EHOSTUNREACH at once, not as a timeout).
`hold HOST ROUNDS` repeats that on the same socket until an error.
`serve6` serves IPv6; a client given an IPv6 address uses IPv6.

`serve elsewhere` (or `serve6 elsewhere`) answers as Windows RRAS does
(RFC 2661 section 8.1 allows it): each reply from a new socket on a port
the kernel picks, where it then acknowledges every control message with a
ZLB. `exchange HOST [ROUNDS]` is a client bound to port 1701, as Windows'
is, that takes the reply from whatever port of HOST it comes, confirms the
tunnel there (Start-Control-Connection-Connected) and sends HELLOs there,
0.1 s apart; each round prints `ok PORT` with the port the server answered
from, or stops as `once` does."""
import errno
import socket
import struct
import sys
import threading
import time

from icmp import report_errors

from scapy.layers.l2tp import L2TP

SCCRQ, SCCRP, SCCCN, HELLO = 1, 2, 3, 6
IPV6_RECVERR = 25  # linux/in6.h
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


def message(tunnel_id, message_type):
    """A control message that carries its type only (SCCCN, HELLO)."""
    return bytes(L2TP(hdr="control+length+sequence", tunnel_id=tunnel_id) / avp(0, struct.pack("!H", message_type)))


def zlb(tunnel_id):
    """A zero-length body: the acknowledgement of a control message."""
    return bytes(L2TP(hdr="control+length+sequence", tunnel_id=tunnel_id))


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


def udp_socket(family, port):
    s = socket.socket(family, socket.SOCK_DGRAM)
    if family == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", port))
    return s


def acknowledge(s, their_tunnel):
    """The tunnel's own socket: a ZLB for every control message that is not one."""
    while True:
        data, peer = s.recvfrom(4096)
        if parse(data)[1]:
            s.sendto(zlb(their_tunnel), peer)


def serve(family, elsewhere):
    s = udp_socket(family, 1701)
    next_tunnel = 100
    while True:
        data, peer = s.recvfrom(4096)
        _, avps = parse(data)
        if avps.get(0) == struct.pack("!H", SCCRQ) and 9 in avps:
            (their_tunnel,) = struct.unpack("!H", avps[9])
            reply = control(their_tunnel, SCCRP, next_tunnel)
            next_tunnel += 1
            if not elsewhere:
                s.sendto(reply, peer)
                continue
            tunnel = udp_socket(family, 0)
            tunnel.sendto(reply, peer)
            threading.Thread(target=acknowledge, args=(tunnel, their_tunnel), daemon=True).start()


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


def exchange(host, rounds):
    """The tunnel set up with a server that may answer from another port,
    then HELLOs to that port; the same reports as client()."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = udp_socket(family, 1701)
    # Not connected (the reply may come from any port): ICMP errors about
    # our datagrams reach recv only when asked for.
    if family == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVERR, 1)
    else:
        report_errors(s)
    s.settimeout(3 if rounds == 1 else 1)

    def answer(sent, to):
        """The server's reply to a message, from any port of the host: (header, avps, port)."""
        s.sendto(sent, to)
        while True:
            data, (source, port, *_) = s.recvfrom(4096)
            if source == host:
                return (*parse(data), port)

    try:
        header, avps, port = answer(control(0, SCCRQ, 7), (host, 1701))
        if header.tunnel_id != 7 or avps.get(0) != struct.pack("!H", SCCRP):
            return print("unexpected reply", flush=True)
        (their_tunnel,) = struct.unpack("!H", avps[9])
        next_message = message(their_tunnel, SCCCN)
        for n in range(rounds):
            header, avps, _ = answer(next_message, (host, port))
            if header.tunnel_id != 7 or avps:
                return print("unexpected reply", flush=True)
            print(f"ok {port}", flush=True)
            next_message = message(their_tunnel, HELLO)
            if n + 1 < rounds:
                time.sleep(0.1)
    except socket.timeout:
        print("timeout", flush=True)
    except OSError as e:
        print(errno.errorcode.get(e.errno, type(e).__name__), flush=True)


mode, rest = sys.argv[1], sys.argv[2:]
if mode in ("serve", "serve6"):
    serve(socket.AF_INET6 if mode == "serve6" else socket.AF_INET, rest[:1] == ["elsewhere"])
elif mode == "exchange":
    exchange(rest[0], int(rest[1]) if len(rest) > 1 else 1)
else:
    client(rest[0], 1 if mode == "once" else int(rest[1]))
