"""Frames iptables-restore's stderr (stdin) the way kube-proxy 1.13 logged it, as CRI container log lines.

kube-proxy's proxier.go logged `Failed to execute iptables-restore: %v` with the error holding the command's
output, newlines and all; the container runtime writes each physical line with its own timestamp prefix.
usage: kube-proxy-log.py EXIT_STATUS < stderr > 0.log
"""
import sys, time
status = sys.argv[1]
stderr = sys.stdin.read().rstrip("\n").split("\n")
now = time.gmtime()
stamp = time.strftime("%Y-%m-%dT%H:%M:%S.000000000Z", now)
klog = time.strftime("E%m%d %H:%M:%S.000000", now)
lines = [f"{klog}       1 proxier.go:1413] Failed to execute iptables-restore: exit status {status} ({stderr[0]}"] + stderr[1:] + [")"]
lines.insert(0, f"{time.strftime('I%m%d %H:%M:%S.000000', now)}       1 server.go:464] Version: v1.13.10")
lines.insert(1, f"{time.strftime('I%m%d %H:%M:%S.000000', now)}       1 server_others.go:148] Using iptables Proxier.")
for line in lines:
    print(f"{stamp} stderr F {line}")
