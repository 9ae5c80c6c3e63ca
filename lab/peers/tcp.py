"""A TCP peer for the forwarding test: `serve PORT` echoes lines (`serve6
PORT` in IPv6); `once HOST PORT` connects, sends one line and prints `ok` or
the error; `hold HOST PORT [ROUNDS]` keeps one connection and prints `ok` per
echoed line until an error or ROUNDS (default 100) rounds, 0.1 s apart."""
import socket
import socketserver
import sys
import time


class Server6(socketserver.ThreadingTCPServer):
    address_family = socket.AF_INET6
    allow_reuse_address = True

    def server_bind(self):
        # IPv6 only, beside `serve` on the same port.
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        super().server_bind()


class Echo(socketserver.StreamRequestHandler):
    def handle(self):
        for line in self.rfile:
            self.wfile.write(line)


def report(result):
    print(result, flush=True)


def main():
    mode = sys.argv[1]
    if mode == "serve":
        socketserver.ThreadingTCPServer.allow_reuse_address = True
        socketserver.ThreadingTCPServer(("0.0.0.0", int(sys.argv[2])), Echo).serve_forever()
    if mode == "serve6":
        Server6(("::", int(sys.argv[2])), Echo).serve_forever()
    host, port = sys.argv[2], int(sys.argv[3])
    try:
        conn = socket.create_connection((host, port), timeout=3)
        for _ in range(1 if mode == "once" else int(sys.argv[4]) if len(sys.argv) > 4 else 100):
            conn.sendall(b"ping\n")
            if conn.recv(16) != b"ping\n":
                raise ConnectionError("no echo")
            report("ok")
            if mode == "hold":
                time.sleep(0.1)
    except OSError as e:
        report(type(e).__name__)


main()
