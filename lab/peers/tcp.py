"""A TCP peer for the forwarding test: `serve PORT` echoes lines; `once HOST
PORT` connects, sends one line and prints `ok` or the error; `hold HOST PORT`
keeps one connection and prints `ok` per echoed line until an error or 100
rounds, 0.1 s apart."""
import socket
import socketserver
import sys
import time


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
    host, port = sys.argv[2], int(sys.argv[3])
    try:
        conn = socket.create_connection((host, port), timeout=3)
        for _ in range(1 if mode == "once" else 100):
            conn.sendall(b"ping\n")
            if conn.recv(16) != b"ping\n":
                raise ConnectionError("no echo")
            report("ok")
            if mode == "hold":
                time.sleep(0.1)
    except OSError as e:
        report(type(e).__name__)


main()
