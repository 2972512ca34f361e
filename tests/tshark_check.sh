#!/usr/bin/env bash
# tshark_check.sh [--exclude GLOB]... PATH...
#
# The oracle for the capture contract (docs/contracts.md, "Captures"): "every file opens in Wireshark/tshark without
# malformed-packet or bad-checksum warnings". PATH is a pcap file or a directory searched
# recursively for *.pcap and *.pcapng. Directories listed in TUNLAB_TSHARK_DIRS (colon-separated)
# are checked too, so CI can point it at every capture directory the suite wrote:
#     tests/tshark_check.sh build/test-captures
#
# A frame fails when tshark marks it malformed, reports any expert info of severity Error, or a
# Warning in the Checksum, Malformed, Protocol or Undecoded groups. IPv4, UDP and TCP checksums are
# only verified when asked (-o ip/udp/tcp.check_checksum:TRUE); tshark 4.0 has no such preference
# for ICMP, which it always verifies and reports as a Warning.
# Warnings about conversations (e.g. "previous segment not captured") are not about the bytes and
# pass. A file tshark cannot read to the end fails too.
# One exception: an ICMP error quotes only the start of the packet it answers (576 bytes in all,
# RFC 1812 4.3.2.3), and tshark 4.0 still "verifies" a quoted TCP or UDP checksum over the bytes
# that are there, reporting a bad checksum that no receiver could check. A frame whose own IPv4
# and ICMP checksums are good and whose quoted packet is cut short passes with that warning.
#
# A TCP or UDP checksum of 0xffff where the sum gives 0x0000 is the same value (one's-complement
# zero); Linux writes it so itself (skb_checksum_help's CSUM_MANGLED_0), so it passes too.
#
# Exit: 0 every frame clean; 1 a finding (each printed as FILE: frame N: ...); 2 usage, no pcap
# found, or tshark missing. Set TSHARK to use another tshark binary.
set -u

tshark=${TSHARK:-tshark}
excludes=()
paths=()
while (($#)); do
  case $1 in
  --exclude)
    [[ $# -ge 2 ]] || { echo "tshark_check.sh: --exclude needs a GLOB" >&2; exit 2; }
    excludes+=("$2")
    shift 2
    ;;
  -h | --help)
    sed -n '2,/^set -u/{/^set -u/d;s/^# \{0,1\}//;p}' "$0"
    exit 0
    ;;
  *)
    paths+=("$1")
    shift
    ;;
  esac
done
if [[ -n ${TUNLAB_TSHARK_DIRS:-} ]]; then
  IFS=: read -r -a extra <<<"$TUNLAB_TSHARK_DIRS"
  paths+=("${extra[@]}")
fi
if ((${#paths[@]} == 0)); then
  echo "usage: tshark_check.sh [--exclude GLOB]... PATH...  (or set TUNLAB_TSHARK_DIRS)" >&2
  exit 2
fi

if ! command -v "$tshark" >/dev/null 2>&1; then
  echo "tshark_check.sh: tshark not found ('$tshark'); run the test command from README.md, which installs it" >&2
  exit 2
fi

files=()
for path in "${paths[@]}"; do
  if [[ -f $path ]]; then
    files+=("$path")
  elif [[ -d $path ]]; then
    while IFS= read -r -d '' file; do
      files+=("$file")
    done < <(find "$path" -type f \( -name '*.pcap' -o -name '*.pcapng' \) -print0 | sort -z)
  else
    echo "tshark_check.sh: $path: no such file or directory" >&2
    exit 2
  fi
done

selected=()
for file in "${files[@]}"; do
  base=${file##*/}
  skip=0
  for glob in "${excludes[@]+"${excludes[@]}"}"; do
    # shellcheck disable=SC2053  # the glob is meant to match
    [[ $base == $glob ]] && skip=1
  done
  ((skip)) || selected+=("$file")
done
if ((${#selected[@]} == 0)); then
  # A check that looked at nothing must not pass.
  echo "tshark_check.sh: no pcap files under: ${paths[*]}" >&2
  exit 2
fi

# Expert severities and groups as tshark prints them (epan/proto.h PI_* values).
# shellcheck disable=SC2016  # an awk program, expanded by awk
awk_check='
BEGIN {
  FS = "\t"
  group_name[16777216] = "checksum"; group_name[117440512] = "malformed"
  group_name[150994944] = "protocol"; group_name[83886080] = "undecoded"
}
{
  frame = $1
  if ($5 != "") { printf "%s: frame %s: malformed packet\n", file, frame; bad = 1 }
  n = split($2, severity, "\037"); split($3, group, "\037"); split($4, message, "\037")
  # A cut-short ICMP quote: outer and quoted IPv4 lengths, the outer header length, checksums.
  lengths = split($6, ip_len, "\037"); split($7, ip_hdr_len, "\037")
  ip_good = 1; m = split($9, ip_status, "\037")
  for (i = 1; i <= m; i++) if (ip_status[i] != 1) ip_good = 0
  cut_quote = $8 == 1 && ip_good && lengths >= 2 && ip_len[2] + 0 > ip_len[1] - ip_hdr_len[1] - 8
  for (i = 1; i <= n; i++) {
    if (cut_quote && group[i] + 0 == 16777216 && message[i] ~ /^Bad checksum/) {
      continue
    }
    # 0xffff for 0x0000: the same ones-complement zero, written as Linux itself writes it.
    if (group[i] + 0 == 16777216 && message[i] ~ /Checksum 0xffff instead of 0x0000/) {
      continue
    }
    if (severity[i] + 0 >= 8388608) {
      level = "error"
    } else if (severity[i] + 0 >= 6291456 && (group[i] + 0) in group_name) {
      level = "warning"
    } else {
      continue
    }
    name = (group[i] + 0) in group_name ? group_name[group[i] + 0] : "group " group[i]
    printf "%s: frame %s: %s (%s): %s\n", file, frame, level, name, message[i]
    bad = 1
  }
}
END { exit bad }'

status=0
checked=0
stderr_file=$(mktemp)
trap 'rm -f "$stderr_file"' EXIT
for file in "${selected[@]}"; do
  output=$("$tshark" -n -r "$file" \
    -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE -o tcp.check_checksum:TRUE \
    -T fields -E occurrence=a -E aggregator=$'\x1f' \
    -e frame.number -e _ws.expert.severity -e _ws.expert.group -e _ws.expert.message \
    -e _ws.malformed -e ip.len -e ip.hdr_len -e icmp.checksum.status -e ip.checksum.status 2>"$stderr_file")
  rc=$?
  # tshark warns on stderr when run as root (as in CI); that is not a finding.
  errors=$(grep -v '^Running as user "root"' "$stderr_file" | grep -v '^$')
  if ((rc != 0)); then
    echo "$file: tshark could not read it (exit $rc): ${errors//$'\n'/ }"
    status=1
    continue
  fi
  if ! awk -v file="$file" "$awk_check" <<<"$output"; then
    status=1
  fi
  checked=$((checked + 1))
done

if ((status == 0)); then
  echo "tshark_check.sh: $checked file(s) clean"
fi
exit $status
