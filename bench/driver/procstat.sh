# procstat.sh (sourced): snapshots of a server process (CPU ticks, context switches of all its threads, RSS) and the PMU probe.
# shellcheck shell=bash

CLK_TCK=$(getconf CLK_TCK)

# proc_snapshot PID: prints "CPU_TICKS VOLUNTARY INVOLUNTARY RSS_KB THREADS".
# CPU ticks (utime+stime) of /proc/PID/stat include threads that already
# exited; the context switches are summed over the threads alive now.
proc_snapshot() {
  local pid=$1 ticks v=0 iv=0 rss th
  ticks=$(awk '{sub(/.*\) /, ""); print $12 + $13}' "/proc/$pid/stat" 2>/dev/null) || { echo "na na na na na"; return; }
  read -r v iv < <(awk '/^voluntary_ctxt_switches:/ {v += $2} /^nonvoluntary_ctxt_switches:/ {iv += $2}
    END {print v + 0, iv + 0}' /proc/"$pid"/task/*/status 2>/dev/null)
  rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")
  th=$(awk '/^Threads:/ {print $2}' "/proc/$pid/status")
  echo "$ticks ${v:-na} ${iv:-na} ${rss:-na} ${th:-na}"
}

# PMU_OK=1 if `perf stat -e instructions:u` counts here (it does not in most VMs).
pmu_probe() {
  local out
  PMU_OK=0
  out=$(perf stat -x, -e instructions:u true 2>&1) || return 0
  grep -qE '^[0-9]+,' <<<"$out" && PMU_OK=1
  return 0
}

# perf_instructions_start PID SECONDS FILE: counts instructions:u,k of PID for SECONDS in the background (PMU only).
perf_instructions_start() {
  PERF_PID=
  [[ $PMU_OK == 1 ]] || return 0
  perf stat -x, -e instructions:u,instructions:k -o "$3" -p "$1" -- sleep "$2" >/dev/null 2>&1 &
  PERF_PID=$!
}

# perf_instructions_read FILE: prints "USER KERNEL" instructions, or "na na".
perf_instructions_read() {
  [[ -n ${PERF_PID:-} ]] || { echo "na na"; return; }
  wait "$PERF_PID" 2>/dev/null || true
  local u k
  u=$(awk -F, '$3 ~ /^instructions:u/ {print $1}' "$1")
  k=$(awk -F, '$3 ~ /^instructions:k/ {print $1}' "$1")
  [[ $u =~ ^[0-9]+$ ]] || u=na
  [[ $k =~ ^[0-9]+$ ]] || k=na
  echo "$u $k"
}

# core_ticks CPU: busy ticks (everything but idle and iowait) of one core, from /proc/stat.
core_ticks() { awk -v c="cpu$1" '$1 == c {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }

# proc_ticks PID: utime+stime ticks of a process (all its threads), or na.
proc_ticks() { awk '{sub(/.*\) /, ""); print $12 + $13}' "/proc/$1/stat" 2>/dev/null || echo na; }
