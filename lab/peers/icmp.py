"""What an ICMP error said about a raw socket's packets, shared by the peers."""
import errno
import socket
import struct

IP_RECVERR = 11  # linux/in.h; Python 3.11's socket module lacks it


def report_errors(s):
    """Queue ICMP errors about our packets, so we can say what refused them."""
    s.setsockopt(socket.IPPROTO_IP, IP_RECVERR, 1)


def icmp_error(s, e):
    """`refused` for ICMP admin-prohibited (type 3 code 13), else the errno name."""
    try:
        _, ancillary, _, _ = s.recvmsg(0, 512, socket.MSG_ERRQUEUE)
        for level, kind, data in ancillary:
            if level == socket.IPPROTO_IP and kind == IP_RECVERR:
                _, _, icmp_type, icmp_code = struct.unpack_from("=IBBB", data)
                if (icmp_type, icmp_code) == (3, 13):
                    return "refused"
    except OSError:
        pass
    return errno.errorcode.get(e.errno, type(e).__name__)
