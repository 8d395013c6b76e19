# test/sctp/steps.sh — the steps guest-init.sh runs inside user-mode Linux.
# Each step_NAME calls step_result NAME PASS|FAIL|SKIP detail.
# Variables from guest-init.sh: ROOT, BIN, RES (results, on the host), WORK.

# step_sigtran: the ss7/sigtran kernel SCTP tests (sctp_kernel_test.go):
# multi-homed dial/listen, 16 streams, message boundaries, large messages,
# negotiated stream counts, cancel/close, PPID 3 on the wire (dumpcap+tshark).
step_sigtran() {
  if [ ! -x "$BIN/sigtran.test" ]; then
    step_result sigtran SKIP "no $BIN/sigtran.test"
    return
  fi
  local log=$RES/sigtran.log
  (cd "$WORK" && TDMTAP_SCTP_KERNEL=1 timeout -k 5 240 "$BIN/sigtran.test" -test.v -test.count=1 -test.timeout 200s) >"$log" 2>&1
  local rc=$?
  grep -E '^(--- |PASS|FAIL|ok)|sctp_kernel_test.go' "$log" | sed 's/^/  sigtran: /'
  local npass nkern f bad=() xfail=() xpass=()
  npass=$(grep -c '^--- PASS: TestKernel' "$log")
  nkern=$(grep -c '^--- .*: TestKernel' "$log")
  # XFAIL (from run.sh SCTP_XFAIL): known faults reported but not failing.
  for f in $(sed -n 's/^--- FAIL: \([A-Za-z0-9_]*\).*/\1/p' "$log"); do
    if [[ " $XFAIL " == *" $f "* ]]; then xfail+=("$f"); else bad+=("$f"); fi
  done
  for f in $XFAIL; do
    grep -q "^--- PASS: $f " "$log" && xpass+=("$f")
  done
  local note=""
  [ ${#xfail[@]} -gt 0 ] && note="$note; known faults (XFAIL): ${xfail[*]}"
  [ ${#xpass[@]} -gt 0 ] && note="$note; XPASS (remove from SCTP_XFAIL): ${xpass[*]}"
  if [ "$npass" -gt 0 ] && [ ${#bad[@]} -eq 0 ] && ! grep -q '^--- SKIP: TestKernel' "$log" &&
     { [ $rc -eq 0 ] || [ ${#xfail[@]} -gt 0 ]; } && ! grep -q '^panic:' "$log"; then
    step_result sigtran PASS "$npass/$nkern kernel SCTP tests passed$note (log results/sigtran.log)"
  else
    step_result sigtran FAIL "rc=$rc, $npass/$nkern kernel tests passed; failed: ${bad[*]:-none}$note (log results/sigtran.log)"
  fi
}

# capture_start FILE: dumpcap on lo (SCTP only) into FILE; capture_stop.
capture_start() {
  capfile=$1
  dumpcap -q -i lo -f sctp -w "$capfile" >/dev/null 2>&1 &
  cappid=$!
  local i
  for i in $(seq 100); do
    if [ -s "$capfile" ]; then
      sleep 1.5 # the file header is written before the capture is live
      return 0
    fi
    sleep 0.1
  done
  echo "  capture: dumpcap did not start"
  return 1
}
capture_stop() {
  sleep 0.3
  kill -INT $cappid 2>/dev/null
  wait $cappid 2>/dev/null
}

# check_wire FILE PORT: every M3UA DATA chunk to/from PORT has PPID 3 and
# more than one stream is used. Prints a summary; returns 1 on failure.
check_wire() {
  local f=$1 port=$2 rows bad sids n
  rows=$(tshark -r "$f" -Y "sctp.port == $port && m3ua.message_class == 1 && m3ua.message_type == 1" \
    -T fields -E occurrence=f -e sctp.data_payload_proto_id -e sctp.data_sid 2>/dev/null)
  n=$(printf '%s\n' "$rows" | grep -c .)
  bad=$(printf '%s\n' "$rows" | awk -F'\t' 'NF && $1 != "3"' | head -3)
  sids=$(printf '%s\n' "$rows" | awk -F'\t' 'NF {print $2}' | sort -u | tr '\n' ' ')
  echo "  wire: $n M3UA DATA packets on port $port, streams: $sids${bad:+ BAD PPID: $bad}"
  [ "$n" -gt 0 ] && [ -z "$bad" ] && [ "$(echo $sids | wc -w)" -ge 2 ]
}

# check_multihomed LOG PORT: an association with port PORT had two local and
# two remote addresses (from /proc/net/sctp/assocs as sctpe2e recorded it).
check_multihomed() {
  local line
  line=$(grep -o '"assocs":\[[^]]*\]' "$1" | tr ',' '\n' | grep -E "\b$2\b" | head -1)
  echo "  assoc: $line"
  echo "$line" | awk '{ s=$0; sub(/<->.*/, "", s); r=$0; sub(/.*<->/, "", r);
    nl=gsub(/127\.0\.0\.[0-9]+/, "&", s); nr=gsub(/127\.0\.0\.[0-9]+/, "&", r); exit !(nl>=2 && nr>=2) }'
}

# e2e_step NAME SCENARIO PORT [extra sctpe2e flags]
e2e_step() {
  local name=$1 scen=$2 port=$3
  shift 3
  if [ ! -x "$BIN/sctpe2e" ]; then
    step_result "$name" SKIP "no $BIN/sctpe2e"
    return
  fi
  local d=$WORK/e2e-$name log=$RES/$name.log
  mkdir -p "$d"
  capture_start "$d/wire.pcapng"
  (cd "$d" && timeout -s QUIT -k 10 180 "$BIN/sctpe2e" -scenario "$scen" -dir "$d" "$@") >"$log" 2>&1
  local rc=$?
  capture_stop
  cp "$d/gateway.log" "$RES/$name-gateway.log" 2>/dev/null
  cp "$d/wire.pcapng" "$RES/$name.pcapng" 2>/dev/null
  local result
  result=$(grep '^SCTPE2E-RESULT' "$log" | tail -1)
  echo "  $name: ${result:0:600}"
  grep -E '^(intercepts|calls|IRI|CC|expect)' "$log" | head -5 | sed "s/^/  $name: /"
  local ok=1 why=""
  [ $rc -eq 0 ] || { ok=0; why="$why sctpe2e rc=$rc;"; }
  case $result in
    *'"ok":true'*) ;;
    *) ok=0; why="$why checks failed: $(echo "$result" | grep -o '"errors":\["[^"]*"' | cut -c12- | tr -d '"' | cut -c1-200);" ;;
  esac
  check_wire "$d/wire.pcapng" "$port" || { ok=0; why="$why wire check failed;"; }
  if [ "$scen" != osmostp ] && [ "$scen" != lemf ]; then
    check_multihomed "$log" "$port" || { ok=0; why="$why not multi-homed;"; }
  fi
  local iri
  iri=$(echo "$result" | grep -o '"iri_by_type":{[^}]*}')
  if [ $ok = 1 ]; then
    step_result "$name" PASS "$(echo "$result" | grep -o '"matched_intercepts":[0-9]*') $iri $(echo "$result" | grep -o '"cc_pdus":[0-9]*') $(echo "$result" | grep -o '"relay":{[^}]*}')"
  else
    step_result "$name" FAIL "$why (log results/$name.log)"
  fi
}

step_direct() { e2e_step direct direct 2906; }

# step_lemf: the real tdmtap (as SGP), switchsim (ASP over SCTP) and lemf
# through test/e2e's BinRun; tdmtap must stop on SIGTERM.
step_lemf() {
  if [ ! -x "$BIN/tdmtap" ] || [ ! -x "$BIN/switchsim" ] || [ ! -x "$BIN/lemf" ]; then
    step_result lemf SKIP "tdmtap, switchsim or lemf binary missing"
    return
  fi
  e2e_step lemf lemf 2905 -bin "$BIN"
}

# step_binaries: the real `tdmtap run -c` and `switchsim --transport sctp`
# processes (the LEMF is sctpe2e's collector: cmd/lemf is not used yet).
step_binaries() {
  if [ ! -x "$BIN/tdmtap" ] || [ ! -x "$BIN/switchsim" ]; then
    step_result binaries SKIP "tdmtap or switchsim binary missing"
    return
  fi
  e2e_step binaries binaries 2906 -bin "$BIN"
}
# step_failover: see test/sctp/e2e (scenario failover). Besides the LEMF's
# checks (every intercept ends), the capture must show calls whose IAM the
# gateway got on the killed association (gw1, port 2907 at the relay) and
# whose REL it got on the other one (gw2, port 2916).
step_failover() {
  e2e_step failover failover 2916
  local f=$RES/failover.pcapng iam rel both
  iam=$(tshark -r "$f" -Y 'sctp.port == 2907' -T fields -E occurrence=a -E aggregator=' ' -e isup.message_type -e isup.cic 2>/dev/null |
    awk -F'\t' '{n=split($1,t," "); split($2,c," "); for(i=1;i<=n;i++) if (t[i]==1) print c[i]}' | sort -un | tr '\n' ' ')
  rel=$(tshark -r "$f" -Y 'sctp.port == 2916' -T fields -E occurrence=a -E aggregator=' ' -e isup.message_type -e isup.cic 2>/dev/null |
    awk -F'\t' '{n=split($1,t," "); split($2,c," "); for(i=1;i<=n;i++) if (t[i]==12) print c[i]}' | sort -un | tr '\n' ' ')
  local c
  both=""
  for c in $iam; do
    [[ " $rel " == *" $c "* ]] && both="$both$c "
  done
  echo "  failover: IAM on gw1 (killed) for CICs: $iam; REL on gw2 for CICs: $rel; calls moved: $both"
  if [ -z "$both" ]; then
    step_result failover-moved FAIL "no call with IAM on the killed association and REL on the other"
  else
    step_result failover-moved PASS "calls (CIC) begun on the killed association and released on the other: $both"
  fi
}
# step_osmostp: switchsim and the gateway as ASPs of osmo-stp (config and
# its explanation in test/sctp/osmo-stp.cfg); the IRI must be the same as
# over the direct link (same simulator seed).
step_osmostp() {
  if ! command -v osmo-stp >/dev/null; then
    step_result osmostp SKIP "osmo-stp not installed"
    return
  fi
  local d=$WORK/osmo-stp i
  mkdir -p "$d"
  (cd "$d" && exec osmo-stp -c "$ROOT/test/sctp/osmo-stp.cfg") >"$RES/osmo-stp.log" 2>&1 &
  local stp=$!
  for i in $(seq 100); do
    awk 'NR > 1 && $NF ~ /127.0.0.1/ || NR > 1 {print}' /proc/net/sctp/eps 2>/dev/null | grep -qw 2905 && break
    sleep 0.1
  done
  if ! kill -0 $stp 2>/dev/null; then
    step_result osmostp FAIL "osmo-stp did not start: $(tail -3 "$RES/osmo-stp.log" | tr '\n' ' ')"
    return
  fi
  echo "  osmostp: osmo-stp $(osmo-stp -V 2>&1 | grep -o 'version [^ ]*' | head -1) listening, pid $stp"
  e2e_step osmostp osmostp 2905 -stp 127.0.0.1:2905
  kill $stp 2>/dev/null
  wait $stp 2>/dev/null
  grep -iE 'ASPAC|ASPUP|NTFY|as-gw|as-sw|ACTIVE' "$RES/osmo-stp.log" | head -12 | sed 's/^/  osmo-stp: /'
  # osmo-stp sends NTFY after ASPUP-ACK: each ASP must still send ASPAC once
  # per association (go-m3ua's Conn sent it twice).
  local aspac ntfy
  aspac=$(tshark -r "$RES/osmostp.pcapng" -Y 'm3ua.message_class == 4 && m3ua.message_type == 1' -T fields -e sctp.srcport 2>/dev/null | sort | uniq -c | awk '{print $2 "x" $1}' | tr '\n' ' ')
  ntfy=$(tshark -r "$RES/osmostp.pcapng" -Y 'm3ua.message_class == 0 && m3ua.message_type == 1' 2>/dev/null | grep -c .)
  echo "  osmostp: NTFY from osmo-stp: $ntfy; ASPAC per ASP port: $aspac"
  if [ "$ntfy" -lt 1 ] || [ -z "$aspac" ] || echo "$aspac" | grep -qv 'x1 *$' && echo "$aspac" | grep -q 'x[2-9]'; then
    step_result osmostp-aspac-once FAIL "NTFY $ntfy, ASPAC per port: $aspac"
  fi
  # Same IRI as the direct link (same seed, same calls).
  local a b
  a=$(grep -o '"iri_by_type":{[^}]*}' "$RES/direct.log" 2>/dev/null | tail -1)
  b=$(grep -o '"iri_by_type":{[^}]*}' "$RES/osmostp.log" 2>/dev/null | tail -1)
  if [ -n "$a" ]; then
    if [ "$a" = "$b" ]; then
      echo "  osmostp: IRI through osmo-stp equals the direct link's: $b"
    else
      echo "  osmostp: IRI differs: direct $a, osmo-stp $b"
      step_result osmostp-same-iri FAIL "direct $a vs osmo-stp $b"
      return
    fi
  fi
}
