"""The POSIX sh programs nestgate runs on a node through its testinfra host: one run per node reads
every file a probe needs there, printed as `@@<kind> <args>` sections (nestgate.probes.readers.node_sections).
One command per node and round keeps an ssh node as cheap as a local one."""

from __future__ import annotations

# Arguments: <container id>:<its init pid> ... For each container, its cgroup's memory and CPU files
# (v1: memory + cpuacct hierarchies; v2: the unified directory). The host's CPU time, memory and CPU
# count come first: the arithmetic is the daemon's (nestgate.probes.nodes_read).
STATS = r"""
echo "@@stat"; head -n 1 /proc/stat
echo "@@meminfo"; grep '^MemTotal:' /proc/meminfo
echo "@@ticks"; getconf CLK_TCK
echo "@@cpus"; getconf _NPROCESSORS_ONLN
for pair in "$@"; do
  id=${pair%%:*}; pid=${pair#*:}
  echo "@@container $id"
  for line in $(grep -F "$id" /proc/$pid/cgroup 2>/dev/null); do
    c=$(echo "$line" | cut -d: -f2); p=$(echo "$line" | cut -d: -f3-)
    case ",$c," in
      *,memory,*) for f in memory.usage_in_bytes memory.stat memory.limit_in_bytes; do
                    echo "@@file $id $f"; cat "/sys/fs/cgroup/memory$p/$f"; done ;;
    esac
    case ",$c," in
      *,cpuacct,*) echo "@@file $id cpuacct.usage"; cat "/sys/fs/cgroup/cpuacct$p/cpuacct.usage" ;;
      ,,) if [ -e "/sys/fs/cgroup$p/memory.current" ]; then
            for f in memory.current memory.stat memory.max cpu.stat; do
              echo "@@file $id $f"; cat "/sys/fs/cgroup$p/$f"; done
          fi ;;
    esac
  done
done
"""

# Arguments: <container id>:<its init pid> ... For each container, the PIDs of its cgroup
# (cgroup.procs: the v1 pids hierarchy, else the v2 one), then each PID's cgroup and status.
PROCESSES = r"""
for pair in "$@"; do
  id=${pair%%:*}; pid=${pair#*:}
  echo "@@container $id"
  procs=""
  for line in $(grep -F "$id" /proc/$pid/cgroup 2>/dev/null); do
    c=$(echo "$line" | cut -d: -f2); p=$(echo "$line" | cut -d: -f3-)
    case ",$c," in
      *,pids,*) cand="/sys/fs/cgroup/pids$p" ;;
      ,,) cand="/sys/fs/cgroup$p /sys/fs/cgroup/unified$p" ;;
      *) continue ;;
    esac
    for d in $cand; do
      if [ -z "$procs" ] && [ -r "$d/cgroup.procs" ]; then procs=$(cat "$d/cgroup.procs"); fi
    done
  done
  if [ -z "$procs" ]; then echo "@@nocgroup $id"; continue; fi
  for p in $procs; do
    cg=$(cat /proc/$p/cgroup 2>/dev/null) && st=$(cat /proc/$p/status 2>/dev/null) \
      || { echo "@@gone $id $p"; continue; }
    echo "@@cgroup $id $p"; echo "$cg"
    echo "@@status $id $p"; echo "$st"
  done
done
"""

# Arguments: <pid> ...: each PID's status again (runc's init stage, read once it has exec'd).
STATUS = r"""
for p in "$@"; do
  st=$(cat /proc/$p/status 2>/dev/null) || { echo "@@gone $p"; continue; }
  echo "@@status $p"; echo "$st"
done
"""

# Arguments: <timeout s> <host>:<port> ...: a TCP connect from the node to each (bash's /dev/tcp),
# all at once; the exit status and the error line give the outcome.
CONNECT = r"""
t=$1; shift
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
i=0
for target in "$@"; do
  i=$((i + 1))
  (
    h=${target%:*}; port=${target##*:}
    err=$(timeout "$t" bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$h" "$port" 2>&1); rc=$?
    printf '@@connect %s %s %s\n%s\n' "$h" "$port" "$rc" "$err"
  ) > "$dir/$i" &
done
wait
cat "$dir"/* 2>/dev/null
"""

# The node's own addresses and routes: which container addresses a connect from it really tests.
# Argument `gwbridge`: also its docker_gwbridge network (the containers' addresses there), in the same
# command: each command is an ssh round trip.
ROUTES = r"""
echo "@@fib_trie"; cat /proc/net/fib_trie
echo "@@route"; cat /proc/net/route
if [ "$1" = gwbridge ]; then
  echo "@@gwbridge"; docker network inspect docker_gwbridge 2>/dev/null || echo '[]'
fi
"""
