"""Small packets as fast as one process sends them, for bench/dataplane.ts.

  flood.py echo udp PORT | echo gre     answers every packet that reaches it
  flood.py send HOST udp PORT|gre SECONDS

send first makes one round trip through the echo (a flow with replies is
established at the router, as a real one is; unreplied, conntrack would
call every packet new), then sends 64-byte payloads (UDP datagrams, or
plain GRE carrying a tunnelled IPv4 packet) for SECONDS. The server's
firewall counts and drops those before they reach the echo. Prints the
packets sent, the seconds taken and this process's CPU seconds: the
router's forwarding of them runs in its softirq context, charged to it."""
import resource
import socket
import struct
import sys
import time

SIZE = 64


def open_socket(kind, port):
    if kind == "gre":
        return socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_GRE), 0
    return socket.socket(socket.AF_INET, socket.SOCK_DGRAM), int(port)


def gre(payload):
    """Plain GRE (version 0) carrying an IPv4 ICMP packet of `payload`."""
    inner = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 28 + len(payload), 0, 0, 64, 1, 0,
                        socket.inet_aton("10.99.0.1"), socket.inet_aton("10.99.0.2"))
    return struct.pack("!HH", 0, 0x0800) + inner + b"\x08\0\0\0\0\0\0\0" + payload


def echo(kind, port=None):
    s, number = open_socket(kind, port)
    if kind != "gre":
        s.bind(("0.0.0.0", number))
    while True:
        data, source = s.recvfrom(65535)
        # a raw IPv4 socket receives the IP header too
        s.sendto(data[(data[0] & 15) * 4:] if kind == "gre" else data, source)


def send(host, kind, port, seconds):
    s, number = open_socket(kind, port)
    s.connect((host, number))
    hello = gre(b"hello") if kind == "gre" else b"hello"
    s.settimeout(1)
    for _ in range(5):
        s.send(hello)
        try:
            s.recv(65535)
            break
        except socket.timeout:
            pass
    else:
        sys.exit(f"no answer from the echo on {host}")
    packet = gre(b"\0" * (SIZE - 32)) if kind == "gre" else b"\0" * SIZE
    sent = 0
    before = resource.getrusage(resource.RUSAGE_SELF)
    start = time.monotonic()
    end = start + seconds
    while time.monotonic() < end:
        for _ in range(256):
            try:
                s.send(packet)
                sent += 1
            except OSError:
                pass  # a full queue: not counted
    elapsed = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_SELF)
    print(sent, elapsed, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)


if sys.argv[1] == "echo":
    echo(*sys.argv[2:])
else:
    host, kind = sys.argv[2], sys.argv[3]
    port = sys.argv[4] if kind == "udp" else None
    send(host, kind, port, float(sys.argv[-1]))
