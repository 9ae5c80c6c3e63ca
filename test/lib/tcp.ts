// The lab's TCP peer (lab/peers/tcp.py) on PPTP's control port, TCP 1723:
// echo servers on the lab's server (IPv4 and IPv6), and a LAN client's
// connection, which prints `ok` or the error it met.

import type { ChildProcess } from 'node:child_process';
import { PEERS, PYTHON } from '../../lab/paths.ts';
import { SERVER, type Lab } from '../../lab/topology.ts';

const PEER = `${PEERS}/tcp.py`;
const PORT = '1723';

export function pptpControl(lab: Lab) {
  lab.server.start([PYTHON, PEER, 'serve', PORT]);
  lab.server.start([PYTHON, PEER, 'serve6', PORT]);
  return {
    /** Both servers listen. */
    listening: () => ['0.0.0.0:1723 ', '[::]:1723 '].every((a) => lab.server.run(['ss', '-Htln']).stdout.includes(a)),
    /** One connection from client i: `ok`, or the error's name (ConnectionRefusedError for a TCP reset). */
    once: (i = 0, host = SERVER) => lab.clients[i].run([PYTHON, PEER, 'once', host, PORT]).stdout.trim(),
    /** A connection from client i kept up, a line echoed every 0.1 s, `rounds` times or until an error. */
    hold: (i: number, rounds: number): ChildProcess => lab.clients[i].start([PYTHON, PEER, 'hold', SERVER, PORT, String(rounds)]),
  };
}
