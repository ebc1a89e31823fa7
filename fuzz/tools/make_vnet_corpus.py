# Seed corpus of fuzz/targets/vnet_fuzz.cc: /usr/bin/python3 fuzz/tools/make_vnet_corpus.py fuzz/corpus/vnet
# (Debian python3-scapy builds the frames; the vnet headers are what Linux writes for them).
import struct, sys, os
from scapy.all import Ether, Dot1Q, IP, IPv6, TCP, UDP, ARP, ICMPv6EchoRequest, IPv6ExtHdrDestOpt, raw
from scapy.utils import checksum
out = sys.argv[1]

def vnet(flags=0, gso_type=0, hdr_len=0, gso_size=0, csum_start=0, csum_offset=0):
    return struct.pack('<BBHHHHH', flags, gso_type, hdr_len, gso_size, csum_start, csum_offset, 0)

def partial(frame, l3, l4, off, v6, proto):
    # Linux CHECKSUM_PARTIAL: the field holds the pseudo-header sum WITH the L4 length.
    b = bytearray(frame)
    ln = len(b) - l4
    if v6:
        ph = bytes(b[l3+8:l3+40]) + struct.pack('!IxxxB', ln, proto)
    else:
        ph = bytes(b[l3+12:l3+20]) + struct.pack('!xBH', proto, ln)
    s = 0
    for i in range(0, len(ph), 2):
        s += (ph[i] << 8) | ph[i+1]
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    b[l4+off:l4+off+2] = struct.pack('!H', s)
    return bytes(b)

def write(name, data):
    with open(os.path.join(out, name), 'wb') as f:
        f.write(data)

pay = bytes((i * 7) & 0xff for i in range(3000))
ts = [('NOP', None), ('NOP', None), ('Timestamp', (1, 2))]
# raw mode: control 0 (raw, outer IPv4), MTU 0 (= 1500), then vnet header + frame.
tso = raw(Ether()/IP(src='10.0.0.1', dst='10.0.0.2', flags='DF')/TCP(flags='A', options=ts)/pay)
write('raw-tso4-linux', b'\x00\x00\x00' + vnet(1, 1, 66, 1448, 34, 16) + partial(tso, 14, 34, 16, False, 6))
tso6 = raw(Ether()/Dot1Q(vlan=5)/IPv6(src='2001:db8::1', dst='2001:db8::2')/IPv6ExtHdrDestOpt()/TCP(flags='PA')/pay[:2500])
write('raw-tso6-vlan-destopt-outer6', b'\x02\x00\x00' + vnet(1, 4, 0, 1400, 18+48, 16) + partial(tso6, 18, 18+48, 16, True, 6))
uso = raw(Ether()/IP(src='10.0.0.1', dst='10.0.0.2')/UDP(sport=4433, dport=443)/pay[:2400])
write('raw-uso4', b'\x00\x00\x00' + vnet(1, 5, 42, 1200, 34, 6) + partial(uso, 14, 34, 6, False, 17))
csum = raw(Ether()/IPv6(src='2001:db8::1', dst='2001:db8::2')/UDP()/pay[:300])
write('raw-csum-udp6', b'\x00\x00\x00' + vnet(1, 0, 0, 0, 54, 6) + partial(csum, 14, 54, 6, True, 17))
icmp = raw(Ether()/IPv6(src='fe80::1', dst='fe80::2')/ICMPv6EchoRequest(data=b'ping'))
write('raw-icmpv6-partial', b'\x00\x00\x00' + vnet(1, 0, 0, 0, 54, 2) + partial(icmp, 14, 54, 2, True, 58))
arp = raw(Ether(dst='ff:ff:ff:ff:ff:ff')/ARP())
write('raw-arp-plain', b'\x00\x00\x00' + vnet(2) + arp)
write('raw-too-short', b'\x00\x00\x00' + vnet(1, 1, 66, 1448, 34, 16) + tso[:20])
# structured mode: control | 1, MTU, [limits], [config], shape (4), seq (4), payload (2), gso (2), seed (2), mutations.
def structured(control, mtu, shape, payload, gso, muts=b'\x00', extra=b''):
    return bytes([control | 1]) + struct.pack('!H', mtu) + extra + struct.pack('!I', shape) + \
        b'\x01\x02\x03\x04' + struct.pack('!HH', payload, gso) + b'\x00\x00' + muts
write('st-tso4', structured(0, 1500, (2 << 23), 5000, 1448))
write('st-uso6-outer6-vlan', structured(0x06, 9000, (3 << 23) | 1 | (2 << 1) | (1 << 5) | (1 << 3), 4000, 1000))
write('st-csum4-options', structured(0, 1500, (1 << 23) | (3 << 5) | (5 << 15), 900, 0))
write('st-tso-limits-config', structured(0x18, 1400, (2 << 23) | 1 | (2 << 5), 6000, 1300,
                                         extra=b'\x20' + b'\x00\x00\x00\x00'))
write('st-mutated-gso', structured(0, 1500, (2 << 23), 3000, 1448, muts=b'\x02\x00\x01\x04\x00\x2f\x12'))
