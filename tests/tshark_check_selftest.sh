#!/usr/bin/env bash
# tshark_check_selftest.sh: proves the tshark oracle (tshark_check.sh) can fail. It writes small
# RAW pcaps by hand (no scapy, no build), each broken in exactly one way, and asserts that the
# check rejects each one for that reason and names the file and frame, and that it passes a clean
# file. Packet 1 of every bad file is clean, so the frame named must be frame 2.
set -u

here=$(cd "$(dirname "$0")" && pwd)
check="$here/tshark_check.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0

if ! command -v "${TSHARK:-tshark}" >/dev/null 2>&1; then
  echo "tshark_check_selftest.sh: tshark not found; run the test command from README.md, which installs it" >&2
  exit 1
fi

# Bytes from hex, through printf's \x escapes (the format is made of nothing but escapes).
# shellcheck disable=SC2059,SC2001
hex_bytes() { printf "$(sed 's/../\\x&/g' <<<"$1")"; }
le32() {
  hex_bytes "$(printf '%02x%02x%02x%02x' $(($1 & 255)) $((($1 >> 8) & 255)) \
    $((($1 >> 16) & 255)) $((($1 >> 24) & 255)))"
}
le16() { hex_bytes "$(printf '%02x%02x' $(($1 & 255)) $((($1 >> 8) & 255)))"; }

# write_pcap FILE HEX...: a microsecond pcap, link type RAW (101), one record per packet, 1 ms apart.
write_pcap() {
  local file=$1 i=0 hex length
  shift
  {
    le32 0xa1b2c3d4; le16 2; le16 4; le32 0; le32 0; le32 65535; le32 101
    for hex in "$@"; do
      length=$((${#hex} / 2))
      le32 1700000000; le32 $((i * 1000)); le32 $length; le32 $length
      hex_bytes "$hex"
      i=$((i + 1))
    done
  } >"$file"
}

# 10.0.0.12:40000 -> 10.0.0.22:9000 UDP "tunlab", every checksum right.
good=4500002200010000401166a90a00000c0a0000169c402328000ee80374756e6c6162
# The same with the IPv4 header checksum replaced by 0x1234.
bad_ip=4500002200010000401112340a00000c0a0000169c402328000ee80374756e6c6162
# The same with the UDP checksum replaced by 0x1234.
bad_udp=4500002200010000401166a90a00000c0a0000169c402328000e123474756e6c6162
# TCP SYN 40000 -> 9000 with TCP checksum 0x1234.
bad_tcp=4500002800010000400666ae0a00000c0a0000169c4023280000000100000000500203e812340000
# ICMP echo request with ICMP checksum 0x1234 (tshark reports this one as a Warning).
bad_icmp=4500002200010000400166b90a00000c0a000016080012340001000174756e6c6162
# IPv4 header (valid checksum) claims 100 bytes; the record holds 34.
short_ip=4500006400010000401166670a00000c0a0000169c402328000ee7c174756e6c6162

# expect_fail NAME REASON_REGEX FILE...: the check must exit 1 and print "FILE: frame 2: ...REASON".
expect_fail() {
  local name=$1 reason=$2 output rc
  shift 2
  output=$("$check" "$@" 2>&1)
  rc=$?
  if ((rc != 1)); then
    echo "FAIL $name: expected exit 1, got $rc: $output"
    failures=$((failures + 1))
  elif ! grep -Eq -- "^$work/$name.pcap: frame 2: .*$reason" <<<"$output"; then
    echo "FAIL $name: no line naming $name.pcap, frame 2 and /$reason/ in: $output"
    failures=$((failures + 1))
  else
    echo "ok   $name: rejected ($(grep -m1 -- "$name.pcap" <<<"$output"))"
  fi
}

# expect_pass NAME WHY FILE: the check must exit 0 on FILE; WHY says what a rejection would mean.
expect_pass() {
  local name=$1 why=$2 output rc
  output=$("$check" "$3" 2>&1)
  rc=$?
  if ((rc != 0)); then
    echo "FAIL $name: $why: $output"
    failures=$((failures + 1))
  else
    echo "ok   $name: accepted"
  fi
}

write_pcap "$work/good.pcap" "$good" "$good"
expect_pass good "a clean pcap was rejected" "$work/good.pcap"

write_pcap "$work/bad-ip-checksum.pcap" "$good" "$bad_ip"
expect_fail bad-ip-checksum 'error \(checksum\): Bad checksum' "$work/bad-ip-checksum.pcap"
write_pcap "$work/bad-udp-checksum.pcap" "$good" "$bad_udp"
expect_fail bad-udp-checksum 'error \(checksum\): Bad checksum' "$work/bad-udp-checksum.pcap"
write_pcap "$work/bad-tcp-checksum.pcap" "$good" "$bad_tcp"
expect_fail bad-tcp-checksum 'error \(checksum\): Bad checksum' "$work/bad-tcp-checksum.pcap"
write_pcap "$work/bad-icmp-checksum.pcap" "$good" "$bad_icmp"
expect_fail bad-icmp-checksum 'warning \(checksum\): Bad checksum' "$work/bad-icmp-checksum.pcap"
write_pcap "$work/truncated-ip.pcap" "$good" "$short_ip"
expect_fail truncated-ip 'total length exceeds packet length' "$work/truncated-ip.pcap"

# An ICMP 3/4 (good IPv4 and ICMP checksums) quoting the first 72 bytes of a 1500-byte TCP segment:
# tshark calls the quoted TCP checksum bad over the bytes that are there; the check lets that pass,
# and only that: the same frame with its ICMP checksum broken still fails.
cut_quote=4500006400010000400166810a00000c0a00000c0304e0f900000564450005dc00014000400620fa0a00000c0a0000169c402328000003e8000000005018ffff12340000000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
cut_quote_bad_icmp=4500006400010000400166810a00000c0a00000c03041ff900000564450005dc00014000400620fa0a00000c0a0000169c402328000003e8000000005018ffff12340000000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
write_pcap "$work/quote.pcap" "$good" "$cut_quote"
expect_pass quote "a cut-short ICMP quote's TCP checksum was held against it" "$work/quote.pcap"
rm "$work/quote.pcap"
write_pcap "$work/bad-quote-icmp.pcap" "$good" "$cut_quote_bad_icmp"
expect_fail bad-quote-icmp 'warning \(checksum\): Bad checksum' "$work/bad-quote-icmp.pcap"

# A TCP checksum written 0xffff where the sum says 0x0000: the same one's-complement zero, which
# Linux writes itself (skb_checksum_help's CSUM_MANGLED_0); tshark warns "0xffff instead of
# 0x0000 (see RFC 1624)". It passes; a wrong one still fails (bad-tcp-checksum above).
tcp_minus_zero=45000048000100004006668e0a00000c0a0000169c402328000003e8000000005018ffffffff0000000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d0559
write_pcap "$work/minus-zero.pcap" "$good" "$tcp_minus_zero"
expect_pass minus-zero "a TCP checksum of 0xffff for 0x0000 was held against it" "$work/minus-zero.pcap"
rm "$work/minus-zero.pcap"

# A file cut short inside record 2: tshark itself fails to read it; no frame to name.
write_pcap "$work/cut.pcap" "$good" "$good"
head -c -5 "$work/cut.pcap" >"$work/cut-short.pcap" && rm "$work/cut.pcap"
output=$("$check" "$work/cut-short.pcap" 2>&1)
rc=$?
if ((rc == 1)) && grep -q -- "^$work/cut-short.pcap: tshark could not read it" <<<"$output"; then
  echo "ok   cut-short: rejected"
else
  echo "FAIL cut-short: expected exit 1 naming the file, got $rc: $output"
  failures=$((failures + 1))
fi

# A directory: every pcap in it is checked (bad ones found), --exclude skips by name.
output=$("$check" "$work" --exclude 'bad-*' --exclude 'truncated-*' --exclude 'cut-*' 2>&1)
rc=$?
if ((rc == 0)) && grep -q '1 file(s) clean' <<<"$output"; then
  echo "ok   exclude: only good.pcap checked"
else
  echo "FAIL exclude: $output"
  failures=$((failures + 1))
fi
output=$("$check" "$work" 2>&1)
named=$(grep -o "^$work/[^:]*" <<<"$output" | sort -u | tr '\n' ' ')
expected=$(printf "$work/%s " bad-icmp-checksum.pcap bad-ip-checksum.pcap bad-quote-icmp.pcap bad-tcp-checksum.pcap \
  bad-udp-checksum.pcap cut-short.pcap truncated-ip.pcap)
if [[ $named != "$expected" ]]; then
  echo "FAIL directory: expected findings in exactly the 7 bad files, got: $output"
  failures=$((failures + 1))
else
  echo "ok   directory: the 7 bad files named, good.pcap not"
fi

# Without tshark the check must fail (not skip) and say how to get it.
output=$(TSHARK="$work/no-such-tshark" "$check" "$work/good.pcap" 2>&1)
if (($? == 2)) && grep -q 'README' <<<"$output"; then
  echo "ok   no-tshark: fails and points at README.md"
else
  echo "FAIL no-tshark: $output"
  failures=$((failures + 1))
fi

# An empty directory is a failure too: a check that checked nothing must not pass.
mkdir "$work/empty"
"$check" "$work/empty" >/dev/null 2>&1
if (($? == 2)); then
  echo "ok   empty: no pcap is an error"
else
  echo "FAIL empty: an empty directory passed"
  failures=$((failures + 1))
fi

if ((failures > 0)); then
  echo "tshark_check_selftest.sh: $failures failure(s)"
  exit 1
fi
echo "tshark_check_selftest.sh: all passed"
