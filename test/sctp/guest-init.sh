#!/bin/bash
# test/sctp/guest-init.sh — PID 1 inside user-mode Linux (see run.sh).
# The root file system is the host's, read-only (hostfs). This script mounts
# what the tests need writable, loads the SCTP modules, and runs the steps;
# it prints one line per step and the verdict line run.sh checks:
#   TDMTAP-SCTP-STEP <name>: PASS|FAIL|SKIP <detail>
#   TDMTAP-SCTP-VERDICT: PASS|FAIL <passed>/<run> [skipped: ...]
# then powers the guest off. Environment from the kernel command line:
# TDMTAP_ROOT (repository), TDMTAP_OUT (binaries; results/ is written there
# through a read-write hostfs mount), TDMTAP_KVER, TDMTAP_ONLY.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export LANG=C.UTF-8
ROOT=${TDMTAP_ROOT:?}
BIN=${TDMTAP_OUT:?}
KVER=${TDMTAP_KVER:-$(uname -r)}
ONLY=${TDMTAP_ONLY:-all}; ONLY=${ONLY//,/ }
XFAIL=${TDMTAP_XFAIL:-}; XFAIL=${XFAIL//,/ }

poweroff_now() {
  sync
  echo o >/proc/sysrq-trigger
  sleep 30
}
trap poweroff_now EXIT

mount -t proc proc /proc
mount -t sysfs sys /sys
# Writable space: a tmpfs on /run (work files, TMPDIR, HOME). /tmp gets a
# tmpfs too unless the repository or the binaries live under it.
mount -t tmpfs -o size=512m run /run
WORK=/run/work
mkdir -p "$WORK/tmp" /run/results
export HOME=$WORK TMPDIR=$WORK/tmp
case "$ROOT/ $BIN/" in
  /tmp/*|*" /tmp/"*) echo "guest: repository or binaries under /tmp: /tmp stays the host's (read-only)" ;;
  *) mount -t tmpfs tmp /tmp ;;
esac
mount -t hostfs -o "$BIN/results" results /run/results || echo "guest: results mount failed; logs stay in the guest"
RES=/run/results
# devtmpfs has no /dev/fd (bash process substitution, some tools need it).
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
echo "guest: $(uname -sr), $(nproc) cpu, $(awk '/MemTotal/ {print $2 " kB"}' /proc/meminfo)"

# --- kernel modules: sctp depends on ipv6 (crc-ccitt), udp_tunnel, ip6_udp_tunnel.
M=/usr/lib/uml/modules/$KVER/kernel
modok=1
for m in lib/crc-ccitt net/ipv6/ipv6 net/ipv4/udp_tunnel net/ipv6/ip6_udp_tunnel net/sctp/sctp; do
  if ! insmod "$M/$m.ko" 2>&1; then
    echo "guest: insmod $m failed"
    modok=0
  fi
done
# The default cookie HMAC (md5) needs the hmac module; without it listen()
# fails with ENOSYS. The association cookie is not what we test.
echo none >/proc/sys/net/sctp/cookie_hmac_alg || modok=0

# --- network: loopback only. 127.0.0.0/8 is on lo, so 127.0.0.1-9 are
# all local addresses usable for multi-homing. MTU 1500 makes large
# messages fragment as on a real link.
ip link set lo up
ip link set lo mtu 1500
ip -6 addr add ::1/128 dev lo 2>/dev/null || true

passed=0
run=0
failed=()
skipped=()
xfailed=()
step_result() { # name status detail...
  local name=$1 st=$2
  shift 2
  # SCTP_XFAIL may name steps too: a known fault is reported, not failed.
  if [[ " $XFAIL " == *" $name "* ]]; then
    case $st in
      FAIL) st=XFAIL; xfailed+=("$name") ;;
      PASS) set -- "$@" "(XPASS: remove $name from SCTP_XFAIL)" ;;
    esac
  fi
  echo "TDMTAP-SCTP-STEP $name: $st $*"
  case $st in
    PASS) passed=$((passed + 1)); run=$((run + 1)) ;;
    FAIL) failed+=("$name"); run=$((run + 1)) ;;
    SKIP) skipped+=("$name") ;;
  esac
}
want() { [ "$ONLY" = all ] || [[ " $ONLY " == *" $1 "* ]]; }

if [ $modok != 1 ]; then
  step_result modules FAIL "SCTP modules did not load"
else
  step_result modules PASS "$(grep -c . /proc/net/sctp/assocs 2>/dev/null || echo 0) assocs table present; cookie_hmac_alg=$(cat /proc/sys/net/sctp/cookie_hmac_alg)"
fi

# shellcheck source=test/sctp/steps.sh
. "$ROOT/test/sctp/steps.sh" || step_result steps FAIL "cannot read $ROOT/test/sctp/steps.sh"

for s in sigtran direct binaries lemf osmostp failover; do
  if want $s && [ $modok = 1 ]; then
    t=$(date +%s)
    before="$passed/$run/${#skipped[@]}/${#xfailed[@]}"
    if declare -F "step_$s" >/dev/null; then
      "step_$s"
    fi
    # A step that reported nothing (script error) fails.
    [ "$before" = "$passed/$run/${#skipped[@]}/${#xfailed[@]}" ] && step_result "$s" FAIL "the step reported no result"
    echo "guest: step $s took $(( $(date +%s) - t ))s"
  fi
done

v=FAIL
if [ ${#failed[@]} -eq 0 ] && [ $run -gt 0 ]; then
  v=PASS
fi
line="TDMTAP-SCTP-VERDICT: $v $passed/$run"
[ ${#failed[@]} -gt 0 ] && line="$line failed: ${failed[*]}"
[ ${#xfailed[@]} -gt 0 ] && line="$line known faults (XFAIL): ${xfailed[*]}"
[ ${#skipped[@]} -gt 0 ] && line="$line skipped: ${skipped[*]}"
echo "$line"
