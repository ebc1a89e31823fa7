#!/usr/bin/python3
"""Independent checksum oracle for tests/offload/oracle_differential_test.cc.

Run with Debian's /usr/bin/python3 (python3-scapy) and tshark 4.0 on PATH:

  checksum_oracle.py FILE.pcap

For every frame of FILE prints one line

  N  S_IP  S_L4  T_IP  T_L4

N is the 1-based frame number. S_* are scapy's verdicts, T_* tshark's:
  S_IP / T_IP  one letter per IPv4 header, outermost first ("" written as "-" when the frame
               has none): g good, b bad, u not verified (tshark only)
  S_L4 / T_L4  the transport checksum of the innermost IP packet (TCP, UDP, ICMP, ICMPv6):
               g good, b bad (a zero UDP checksum over IPv6 too: RFC 8200 §8.1), - none
               (no transport header, UDP over IPv4 with checksum 0, a fragment), u not
               verified (tshark only)

scapy side: the IPv4 header checksum is RFC 1071 over the header bytes as captured
(scapy.utils.checksum); TCP/UDP/ICMPv6 use scapy's in4_chksum / in6_chksum, which build the
pseudo-header themselves (IPv6: the final destination of a Routing header in transit, RFC 8200
§8.1); ICMPv4 is RFC 1071 over the message. Only the captured bytes are summed: scapy
re-serializes nothing. tshark side: `-o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE -o
udp.check_checksum:TRUE` (ICMP/ICMPv6 are always checked) and its *.checksum.status fields
(0 bad, 1 good, 2 unverified, 3 not present, 4 illegal).

Exit status 0; 77 when scapy or tshark is missing (the caller skips).
"""
import logging
import shutil
import subprocess
import sys

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
try:
    from scapy.all import IP, IPv6, Ether, rdpcap  # noqa: E402
    from scapy.layers.inet import in4_chksum  # noqa: E402
    from scapy.layers.inet6 import IPv6ExtHdrFragment, in6_chksum  # noqa: E402
    from scapy.utils import checksum  # noqa: E402
except ImportError:
    sys.exit(77)

EXT_HEADERS = {0, 43, 44, 50, 51, 60}  # what may sit between IPv6 and the upper layer


def ip_layers(pkt):
    out = []
    layer = pkt
    while layer is not None and layer.name != "NoPayload":
        if isinstance(layer, (IP, IPv6)) and type(layer).__name__ in ("IP", "IPv6"):
            out.append(layer)
        layer = layer.payload if layer.payload else None
    return out


def upper_layer(ip):
    """The layer after `ip` and its extension headers, its protocol number, fragment flag."""
    if isinstance(ip, IP):
        fragment = ip.frag != 0 or (ip.flags & 1) != 0
        return ip.payload, ip.proto, fragment
    nh = ip.nh
    layer = ip.payload
    fragment = False
    while nh in EXT_HEADERS and layer is not None and layer.name != "NoPayload":
        if isinstance(layer, IPv6ExtHdrFragment):
            fragment = fragment or layer.offset != 0 or layer.m != 0
        nh = layer.nh
        layer = layer.payload
    return layer, nh, fragment


def ip_packet_length(ip):
    return ip.len if isinstance(ip, IP) else 40 + ip.plen


def scapy_verdicts(pkt):
    ips = ip_layers(pkt)
    ip_letters = ""
    for ip in ips:
        if isinstance(ip, IP):
            ihl = (ip.original[0] & 0x0F) * 4
            ip_letters += "g" if checksum(ip.original[:ihl]) == 0 else "b"
    if not ips:
        return "-", "-"
    ip = ips[-1]
    l4, proto, fragment = upper_layer(ip)
    if fragment or l4 is None or l4.name == "NoPayload" or proto not in (1, 6, 17, 58):
        return ip_letters or "-", "-"
    if proto == 1 and not isinstance(ip, IP):
        return ip_letters or "-", "-"
    if proto == 58 and not isinstance(ip, IPv6):
        return ip_letters or "-", "-"
    raw = l4.original
    # Bytes of the IP packet from the transport header on (Ethernet padding cut off).
    avail = len(raw) - (len(ip.original) - ip_packet_length(ip))
    seg = raw[:avail]
    if proto == 17:
        if len(seg) < 8:
            return ip_letters or "-", "-"
        udp_len = int.from_bytes(seg[4:6], "big")
        field = int.from_bytes(seg[6:8], "big")
        if field == 0:
            return ip_letters or "-", ("-" if isinstance(ip, IP) else "b")
        seg = seg[:udp_len]
    if proto == 1:
        ok = checksum(seg) == 0
    elif isinstance(ip, IP):
        # in4_chksum takes the IP layer (its pseudo-header length is the IP payload length,
        # which equals the UDP Length in every frame the tests build).
        ok = in4_chksum(proto, ip, seg) == 0
    else:
        ok = in6_chksum(proto, l4, seg) == 0
    return ip_letters or "-", "g" if ok else "b"


STATUS = {"0": "b", "1": "g", "2": "u", "3": "-", "4": "b"}


def tshark_verdicts(path, count):
    fields = ["frame.number", "ip.checksum.status", "tcp.checksum.status", "udp.checksum.status",
              "icmp.checksum.status", "icmpv6.checksum.status"]
    cmd = ["tshark", "-n", "-r", path, "-o", "ip.check_checksum:TRUE", "-o",
           "tcp.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE", "-T", "fields",
           "-E", "occurrence=a", "-E", "separator=/t"]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    verdicts = {}
    for line in out.splitlines():
        cols = line.split("\t")
        cols += [""] * (len(fields) - len(cols))
        n = int(cols[0])
        ip = "".join(STATUS.get(s, "?") for s in cols[1].split(",") if s) or "-"
        l4 = "-"
        for col in cols[2:]:
            if col:
                l4 = STATUS.get(col.split(",")[-1], "?")  # the innermost one
        verdicts[n] = (ip, l4)
    return [verdicts.get(n, ("-", "-")) for n in range(1, count + 1)]


def main():
    if shutil.which("tshark") is None:
        sys.exit(77)
    path = sys.argv[1]
    pkts = rdpcap(path)
    tshark = tshark_verdicts(path, len(pkts))
    for n, p in enumerate(pkts, 1):
        s_ip, s_l4 = scapy_verdicts(Ether(bytes(p)))
        t_ip, t_l4 = tshark[n - 1]
        print(n, s_ip, s_l4, t_ip, t_l4)


if __name__ == "__main__":
    main()
