#!/bin/sh
# node-problem-detector custom plugin: reports one netdoctor condition from the status file the agent
# writes (netdoctor agent --status-dir). NPD's image has no Node runtime, so this is POSIX sh.
# Protocol: exit 0 = OK, 1 = problem, 2 = unknown; the message on stdout, at most 80 bytes.
# Usage: netdoctor-status.sh CONDITION_TYPE   (NETDOCTOR_STATUS_DIR, default /var/run/netdoctor)
dir=${NETDOCTOR_STATUS_DIR:-/var/run/netdoctor}
type=$1
# The status is stale when the agent has not rewritten it for this many minutes (it does every tick).
stale_minutes=${NETDOCTOR_STALE_MINUTES:-5}

case "$type" in
  '' | *[!A-Za-z0-9]*) echo "netdoctor: bad condition type"; exit 2 ;;
esac
file="$dir/$type"
if [ ! -f "$file" ] || [ -h "$file" ]; then
  echo "netdoctor agent has not reported $type"
  exit 2
fi
if [ -n "$(find "$file" -mmin +"$stale_minutes" 2>/dev/null)" ]; then
  echo "netdoctor status is stale: is the agent running?"
  exit 2
fi
code=
message=
{ IFS= read -r code; IFS= read -r message; } < "$file"
case "$code" in
  0 | 1 | 2) ;;
  *) echo "netdoctor status unreadable"; exit 2 ;;
esac
# printable ASCII only (a byte cut cannot split a character, no control character reaches the API), 80 bytes
printf '%s\n' "$message" | LC_ALL=C tr -cd ' -~\n' | cut -b 1-80
exit "$code"
