#!/usr/bin/python3
"""Independent oracle for tests/virt/neighbor_test.cc (run with Debian's /usr/bin/python3 and
python3-scapy; tshark 4.0 for the second opinion on checksums).

  neighbor_oracle.py gen
      Prints `name hex` lines: ARP requests and Neighbor Solicitations (and frames that look
      like them) built with scapy, which computes every length and checksum itself. The test
      knows what each one must parse to.

  neighbor_oracle.py check FILE
      FILE holds one hex frame per line (what nvgre built). For each frame prints
      `frame N`, then `key=value` lines with what scapy dissects, whether each checksum
      verifies (recomputed here from the bytes: RFC 1071 for IPv4 and ICMP, the RFC 8200 §8.1
      pseudo-header for ICMPv6, via scapy.utils.checksum / scapy.layers.inet6.in6_chksum) and
      what tshark says about them (`tshark.*`: 1 good, 0 bad, empty when not checked), then
      `end`.
"""
import os
import subprocess
import sys
import tempfile

import logging
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)

from scapy.all import (ARP, ICMP, IP, Dot1AD, Dot1Q, Ether, ICMPv6EchoRequest,  # noqa: E402
                       ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6ND_RS, ICMPv6NDOptDstLLAddr,
                       ICMPv6NDOptSrcLLAddr, ICMPv6NDOptUnknown, ICMPv6PacketTooBig, IPv6,
                       IPv6ExtHdrFragment, IPv6ExtHdrHopByHop, Padding, UDP, raw, wrpcap)
from scapy.layers.inet6 import in6_chksum  # noqa: E402
from scapy.utils import checksum  # noqa: E402

VM_MAC = "52:54:00:12:34:56"
VM_IP = "10.0.0.5"
VM_IP6 = "fe80::5054:ff:fe12:3456"
GW_IP = "10.0.0.1"
TARGET6 = "2001:db8::1"
SNM6 = "ff02::1:ff00:1"  # solicited-node multicast of 2001:db8::1
SNM_MAC = "33:33:ff:00:00:01"
BCAST = "ff:ff:ff:ff:ff:ff"


def ns(src=VM_IP6, dst=SNM6, hlim=255, tgt=TARGET6, code=0, opts=None, ext=None,
       eth_src=VM_MAC, eth_dst=SNM_MAC, vlan=None):
    opts = [ICMPv6NDOptSrcLLAddr(lladdr=VM_MAC)] if opts is None else opts
    ip = IPv6(src=src, dst=dst, hlim=hlim)
    if ext is not None:
        ip = ip / ext
    p = ip / ICMPv6ND_NS(tgt=tgt, code=code)
    for o in opts:
        p = p / o
    eth = Ether(src=eth_src, dst=eth_dst)
    return eth / vlan / p if vlan is not None else eth / p


def arp(op=1, psrc=VM_IP, pdst=GW_IP, hwsrc=VM_MAC, hwdst="00:00:00:00:00:00", eth_src=VM_MAC,
        eth_dst=BCAST, **kw):
    return Ether(src=eth_src, dst=eth_dst) / ARP(op=op, hwsrc=hwsrc, psrc=psrc, hwdst=hwdst,
                                                 pdst=pdst, **kw)


def generated():
    frames = {}
    # ---- answered
    frames["arp_request"] = arp()
    frames["arp_request_padded"] = arp() / Padding(load=bytes(18))  # 60-byte minimum frame
    frames["arp_request_vlan"] = (Ether(src=VM_MAC, dst=BCAST) / Dot1Q(vlan=100) /
                                  ARP(op=1, hwsrc=VM_MAC, psrc=VM_IP, pdst=GW_IP))
    frames["arp_request_sha_differs"] = arp(hwsrc="52:54:00:aa:bb:cc")
    frames["ns_slla"] = ns()
    frames["ns_nud_unicast"] = ns(dst=TARGET6, eth_dst="02:00:00:00:00:01", opts=[])
    frames["ns_nonce"] = ns(opts=[ICMPv6NDOptSrcLLAddr(lladdr=VM_MAC),
                                  ICMPv6NDOptUnknown(type=14, len=1, data=b"\x01\x02\x03\x04\x05\x06")])
    frames["ns_vlan"] = ns(vlan=Dot1Q(vlan=100))
    frames["ns_hop_by_hop"] = ns(ext=IPv6ExtHdrHopByHop())
    frames["ns_global_source"] = ns(src="2001:db8::5")
    # ---- ordinary traffic
    frames["qinq_arp"] = (Ether(src=VM_MAC, dst=BCAST) / Dot1AD(vlan=10) / Dot1Q(vlan=100) /
                          ARP(op=1, hwsrc=VM_MAC, psrc=VM_IP, pdst=GW_IP))
    frames["na"] = (Ether(src=VM_MAC, dst="33:33:00:00:00:01") /
                    IPv6(src=VM_IP6, dst="ff02::1", hlim=255) / ICMPv6ND_NA(tgt=VM_IP6, R=0, S=0, O=1) /
                    ICMPv6NDOptDstLLAddr(lladdr=VM_MAC))
    frames["rs"] = (Ether(src=VM_MAC, dst="33:33:00:00:00:02") /
                    IPv6(src=VM_IP6, dst="ff02::2", hlim=255) / ICMPv6ND_RS())
    frames["echo6"] = (Ether(src=VM_MAC, dst="02:00:00:00:00:01") /
                       IPv6(src="2001:db8::5", dst=TARGET6) / ICMPv6EchoRequest())
    frames["udp4"] = (Ether(src=VM_MAC, dst="02:00:00:00:00:01") / IP(src=VM_IP, dst=GW_IP) /
                      UDP(sport=68, dport=67))
    # ---- one defect each
    ieee802 = bytearray(raw(arp()))
    ieee802[14:16] = (6).to_bytes(2, "big")  # hardware type 6, IEEE 802 networks: not Ethernet
    frames["arp_ieee802"] = Ether(bytes(ieee802))
    frames["arp_multicast_eth_source"] = arp(eth_src="01:00:5e:00:00:01")
    frames["arp_multicast_sender_ip"] = arp(psrc="224.0.0.1")
    frames["arp_reply"] = arp(op=2, eth_dst="02:00:00:00:00:01", hwdst="02:00:00:00:00:01")
    frames["arp_rarp_request"] = arp(op=3)  # RFC 903 opcodes on an ARP frame
    frames["arp_probe"] = arp(psrc="0.0.0.0", pdst=VM_IP)  # RFC 5227 §2.1.1
    frames["arp_announcement"] = arp(psrc=VM_IP, pdst=VM_IP)  # RFC 5227 §3
    frames["ns_hop_limit_64"] = ns(hlim=64)
    frames["ns_code_1"] = ns(code=1)
    bad = ns()
    bad[ICMPv6ND_NS].cksum = 0x1234
    frames["ns_bad_checksum"] = bad
    frames["ns_option_length_0"] = ns(opts=[ICMPv6NDOptUnknown(type=14, len=0, data=b"")])
    frames["ns_slla_16_bytes"] = ns(opts=[ICMPv6NDOptUnknown(type=1, len=2, data=bytes(14))])
    frames["ns_fragment"] = ns(ext=IPv6ExtHdrFragment(offset=0, m=0, id=7))
    frames["ns_multicast_source"] = ns(src="ff02::1")
    frames["ns_dad_with_slla"] = ns(src="::")
    frames["ns_dad_not_solicited_node"] = ns(src="::", dst="ff02::1", opts=[])
    frames["ns_target_multicast"] = ns(tgt="ff02::1")
    frames["ns_dad"] = ns(src="::", opts=[])
    frames["ns_dad_nonce"] = ns(src="::", opts=[ICMPv6NDOptUnknown(type=14, len=1, data=bytes(6))])
    # An NS cut short: Payload Length says 32, the frame ends 8 bytes early.
    frames["ns_truncated"] = Ether(raw(ns())[:-8])
    # ICMPv6 message shorter than 24 bytes (no target): 20 bytes, checksum right.
    short = (Ether(src=VM_MAC, dst=SNM_MAC) / IPv6(src=VM_IP6, dst=SNM6, hlim=255, nh=58) /
             (bytes([135, 0, 0, 0]) + bytes(16)))
    b = bytearray(raw(short))
    c = in6_chksum(58, short[IPv6], bytes(b[54:]))
    b[56:58] = c.to_bytes(2, "big")
    frames["ns_short"] = Ether(bytes(b))
    for name, p in frames.items():
        print(name, raw(p).hex())


def ok(flag):
    return "1" if flag else "0"


def describe(index, data):
    out = [f"frame {index}"]
    p = Ether(data)
    out.append(f"eth.dst={p.dst}")
    out.append(f"eth.src={p.src}")
    out.append(f"eth.type=0x{p.type:04x}")
    if ARP in p:
        a = p[ARP]
        out += [f"arp.hwtype={a.hwtype}", f"arp.ptype=0x{a.ptype:04x}", f"arp.hwlen={a.hwlen}",
                f"arp.plen={a.plen}", f"arp.op={a.op}", f"arp.hwsrc={a.hwsrc}",
                f"arp.psrc={a.psrc}", f"arp.hwdst={a.hwdst}", f"arp.pdst={a.pdst}",
                f"arp.length={len(raw(a)) - len(raw(a.payload))}"]
    if IP in p:
        ip = p[IP]
        hdr = data[14:14 + ip.ihl * 4]
        out += [f"ip.version={ip.version}", f"ip.ihl={ip.ihl}", f"ip.tos=0x{ip.tos:02x}",
                f"ip.len={ip.len}", f"ip.id={ip.id}", f"ip.flags={int(ip.flags)}",
                f"ip.frag={ip.frag}", f"ip.ttl={ip.ttl}", f"ip.proto={ip.proto}",
                f"ip.src={ip.src}", f"ip.dst={ip.dst}", f"ip.checksum_ok={ok(checksum(hdr) == 0)}"]
        if ip.proto == 1:
            msg = data[14 + ip.ihl * 4:14 + ip.len]
            icmp = p[ICMP]
            out += [f"icmp.type={icmp.type}", f"icmp.code={icmp.code}",
                    f"icmp.checksum_ok={ok(checksum(msg) == 0)}", f"icmp.length={len(msg)}",
                    f"icmp.unused={int.from_bytes(msg[4:6], 'big')}"]
            if icmp.type == 3 and icmp.code == 4:
                out.append(f"icmp.nexthopmtu={icmp.nexthopmtu}")
            out.append(f"icmp.quote={msg[8:].hex()}")
    if IPv6 in p:
        ip6 = p[IPv6]
        out += [f"ipv6.tc={ip6.tc}", f"ipv6.fl={ip6.fl}", f"ipv6.plen={ip6.plen}",
                f"ipv6.nh={ip6.nh}", f"ipv6.hlim={ip6.hlim}", f"ipv6.src={ip6.src}",
                f"ipv6.dst={ip6.dst}"]
        if ip6.nh == 58:
            msg = data[54:54 + ip6.plen]
            out += [f"icmpv6.type={msg[0]}", f"icmpv6.code={msg[1]}", f"icmpv6.length={len(msg)}",
                    f"icmpv6.checksum_ok={ok(in6_chksum(58, ip6, msg) == 0)}"]
            if ICMPv6ND_NA in p:
                na = p[ICMPv6ND_NA]
                out += [f"na.R={na.R}", f"na.S={na.S}", f"na.O={na.O}", f"na.res={na.res}",
                        f"na.tgt={na.tgt}"]
                if ICMPv6NDOptDstLLAddr in p:
                    o = p[ICMPv6NDOptDstLLAddr]
                    out += [f"na.opt.type={o.type}", f"na.opt.len={o.len}",
                            f"na.opt.lladdr={o.lladdr}"]
            if ICMPv6PacketTooBig in p:
                out += [f"ptb.mtu={p[ICMPv6PacketTooBig].mtu}", f"icmpv6.quote={msg[8:].hex()}"]
    return out


def tshark(frames):
    """tshark's checksum verdicts (first occurrence: the outer header) and expert severity."""
    fields = ["ip.checksum.status", "icmp.checksum.status", "icmpv6.checksum.status",
              "_ws.expert.severity", "_ws.malformed", "arp.opcode", "icmpv6.nd.na.flag.s",
              "icmpv6.nd.na.flag.o", "icmp.mtu", "icmpv6.mtu"]
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "built.pcap")
        wrpcap(path, [Ether(f) for f in frames])
        cmd = ["tshark", "-n", "-r", path, "-o", "ip.check_checksum:TRUE", "-T", "fields",
               "-E", "separator=\t", "-E", "occurrence=f"]
        for f in fields:
            cmd += ["-e", f]
        res = subprocess.run(cmd, capture_output=True, text=True, check=True)
    rows = [line.split("\t") for line in res.stdout.splitlines()]
    return [[f"tshark.{k}={v}" for k, v in zip(fields, row)] for row in rows]


def check(path):
    with open(path) as f:
        frames = [bytes.fromhex(line.strip()) for line in f if line.strip()]
    ts = tshark(frames)
    for i, data in enumerate(frames):
        lines = describe(i, data) + (ts[i] if i < len(ts) else [])
        print("\n".join(lines))
        print("end")


def main():
    if len(sys.argv) == 2 and sys.argv[1] == "gen":
        generated()
    elif len(sys.argv) == 3 and sys.argv[1] == "check":
        check(sys.argv[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
