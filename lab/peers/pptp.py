"""A PPTP peer: control messages over a real TCP socket, enhanced GRE
(version 1) over a raw IP socket, both built and parsed with scapy.

`serve` listens on TCP 1723, answers Start-Control-Connection-Request and
Outgoing-Call-Request (assigning its own Call ID), prints `call OWN PEER`
per call with the peer's Call ID as seen after NAT, and echoes each GRE
packet sent to one of its Call IDs back to its source, keyed with that
peer's Call ID.

`once HOST CALL_ID` sets up a call and sends one GRE packet; `hold HOST
CALL_ID [ROUNDS]` keeps going, 0.1 s apart. Each round prints `ok` (the echo
came back keyed with our own Call ID) or stops with `refused` (ICMP
admin-prohibited), `timeout` or the error's name.

`greeted HOST CALL_ID` is `once` where the server sends the call's first GRE
packet (as a PPTP server's PPP may): the client asks for it in the call
request (subaddress `greet`), waits for the server's `hello` keyed with its
own Call ID (else prints `no greeting`, or `refused`), then sends its one."""
import itertools
import socket
import socketserver
import struct
import sys
import threading
import time

from icmp import icmp_error, report_errors
from scapy.layers.inet import IP
from scapy.layers.l2 import GRE_PPTP
from scapy.layers.pptp import (PPTP, PPTPOutgoingCallReply, PPTPOutgoingCallRequest,
                               PPTPStartControlConnectionReply, PPTPStartControlConnectionRequest)

TIMEOUT = 3


def report(result):
    print(result, flush=True)


def read_message(conn):
    """One control message: the first two bytes are its whole length."""
    head = read_exactly(conn, 2)
    (length,) = struct.unpack("!H", head)
    return PPTP(head + read_exactly(conn, length - 2))


def read_exactly(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise ConnectionError("control connection closed")
        data += chunk
    return data


# --- server -----------------------------------------------------------------

calls = {}  # our Call ID -> the peer's Call ID, as the control connection told it
calls_lock = threading.Lock()
call_ids = itertools.count(0x100)


class Control(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.settimeout(60)
        try:
            while True:
                msg = read_message(self.request)
                if isinstance(msg, PPTPStartControlConnectionRequest):
                    self.request.sendall(bytes(PPTPStartControlConnectionReply(host_name=b"server")))
                elif isinstance(msg, PPTPOutgoingCallRequest):
                    with calls_lock:
                        own = next(call_ids)
                        calls[own] = msg.call_id
                    report(f"call {own} {msg.call_id}")
                    self.request.sendall(bytes(PPTPOutgoingCallReply(call_id=own, peer_call_id=msg.call_id)))
                    if bytes(msg.subaddress).rstrip(b"\0") == GREET:
                        greet(self.client_address[0], msg.call_id)
        except OSError:
            pass


GREET = b"greet"
HELLO = b"hello"


def greet(peer, peer_call_id):
    """The call's first GRE packet, from the server."""
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_GRE)
    s.sendto(bytes(GRE_PPTP(call_id=peer_call_id, seqnum_present=1, sequence_number=0) / HELLO), (peer, 0))
    s.close()


def echo_gre():
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_GRE)
    while True:
        data, (source, _) = s.recvfrom(65535)  # raw IPv4 sockets receive the IP header too
        packet = IP(data)
        if GRE_PPTP not in packet:
            continue
        gre = packet[GRE_PPTP]
        with calls_lock:
            peer = calls.get(gre.call_id)
        if peer is None:
            continue
        reply = GRE_PPTP(call_id=peer, seqnum_present=1, sequence_number=gre.sequence_number or 0)
        s.sendto(bytes(reply / bytes(gre.payload)), (source, 0))


def serve():
    threading.Thread(target=echo_gre, daemon=True).start()
    socketserver.ThreadingTCPServer.allow_reuse_address = True
    socketserver.ThreadingTCPServer.daemon_threads = True
    socketserver.ThreadingTCPServer(("0.0.0.0", 1723), Control).serve_forever()


# --- client -----------------------------------------------------------------

def gre_socket(host):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_GRE)
    # An ICMP error about our GRE is queued, so we can say what refused it.
    report_errors(s)
    s.connect((host, 0))  # only the server's packets, and ICMP errors about ours, reach us
    return s


def greeting(s, call_id):
    """Waits for the server's hello keyed with our Call ID; None, or what went wrong."""
    deadline = time.monotonic() + TIMEOUT
    try:
        while True:
            s.settimeout(max(deadline - time.monotonic(), 0.001))
            gre = IP(s.recv(65535)).getlayer(GRE_PPTP)
            if gre is not None and gre.call_id == call_id and bytes(gre.payload) == HELLO:
                return None
    except socket.timeout:
        return "no greeting"
    except OSError as e:
        return icmp_error(s, e)


def client(host, call_id, rounds, greeted=False):
    # Greeted, the socket is open before the call, so the server's first GRE finds it.
    s = gre_socket(host) if greeted else None
    try:
        conn = socket.create_connection((host, 1723), timeout=TIMEOUT)
        conn.sendall(bytes(PPTPStartControlConnectionRequest(host_name=b"client")))
        if not isinstance(read_message(conn), PPTPStartControlConnectionReply):
            return report("no start-control-connection reply")
        conn.sendall(bytes(PPTPOutgoingCallRequest(call_id=call_id, subaddress=GREET if greeted else b"")))
        reply = read_message(conn)
        if not isinstance(reply, PPTPOutgoingCallReply):
            return report("no outgoing-call reply")
        # The NAT helper translated our Call ID on the way out; it must come back as ours.
        if reply.peer_call_id != call_id:
            return report(f"peer call id {reply.peer_call_id}, not {call_id}")
        server_call_id = reply.call_id
    except OSError as e:
        return report(type(e).__name__)

    if greeted:
        failed = greeting(s, call_id)
        if failed:
            return report(failed)
    # Holding, a round waits 1 s so a silently dropped tunnel shows within 2 s.
    wait = TIMEOUT if rounds == 1 else 1
    s = s or gre_socket(host)
    for n in range(rounds):
        payload = f"ping {call_id} {n}".encode()
        try:
            s.send(bytes(GRE_PPTP(call_id=server_call_id, seqnum_present=1, sequence_number=n) / payload))
            deadline = time.monotonic() + wait
            while True:
                s.settimeout(max(deadline - time.monotonic(), 0.001))
                gre = IP(s.recv(65535)).getlayer(GRE_PPTP)
                if gre is not None and gre.call_id == call_id and bytes(gre.payload) == payload:
                    break
        except socket.timeout:
            return report("timeout")
        except OSError as e:
            return report(icmp_error(s, e))
        report("ok")
        if n + 1 < rounds:
            time.sleep(0.1)
    conn.close()


def main():
    mode = sys.argv[1]
    if mode == "serve":
        serve()
    else:
        rounds = 1 if mode in ("once", "greeted") else int(sys.argv[4]) if len(sys.argv) > 4 else 100
        client(sys.argv[2], int(sys.argv[3]), rounds, greeted=mode == "greeted")


main()
