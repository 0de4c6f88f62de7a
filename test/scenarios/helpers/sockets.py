#!/usr/bin/env python3
"""Socket workloads for scenario tests, run inside a test network namespace.

  listen HOST PORT BACKLOG [accept|noaccept|drain]
                                               listen; print "ready"; accept (and hold), never accept, or
                                               accept and close each connection once the client has closed
                                               (so the client, closing first, holds TIME_WAIT)
  connect HOST PORT COUNT                      open up to COUNT connections and hold them; print a JSON
                                               line {"opened": n, "errno": e, "error": "..."} and wait
  connect-from HOST PORT SRCPORT               one connection from a chosen source port; print JSON, wait
  flood HOST PORT COUNT                        COUNT non-blocking connects left pending (their SYNs keep
                                               being retransmitted); print "flooding" and wait
  churn HOST PORT RATE SECONDS                 open and at once close connections at RATE per second until
                                               connect() fails or SECONDS pass; print a JSON line
                                               {"opened": n, "errno": e, "failedAfter": seconds} and wait
Both stop when stdin closes (the test ends) or on SIGTERM.
"""
import json, os, socket, sys, threading, time

def wait_for_stdin_close():
    try:
        sys.stdin.read()
    except Exception:
        pass
    os._exit(0)

def main():
    cmd = sys.argv[1]
    held = []
    if cmd == 'listen':
        host, port, backlog = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
        mode = sys.argv[5] if len(sys.argv) > 5 else 'accept'
        accept = mode in ('accept', 'drain')
        s = socket.socket(socket.AF_INET6 if ':' in host else socket.AF_INET)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, port)); s.listen(backlog)
        held.append(s)
        print('ready', flush=True)
        if accept:
            def close_after_peer(c):
                while c.recv(4096):
                    pass
                c.close()
            def loop():
                while True:
                    c, _ = s.accept()
                    if mode == 'drain':
                        threading.Thread(target=close_after_peer, args=(c,), daemon=True).start()
                    else:
                        held.append(c)
            threading.Thread(target=loop, daemon=True).start()
    elif cmd == 'connect':
        host, port, count = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
        result = {'opened': 0}
        for _ in range(count):
            c = socket.socket(socket.AF_INET6 if ':' in host else socket.AF_INET)
            try:
                c.connect((host, port))
            except OSError as e:
                result.update(errno=e.errno, error=os.strerror(e.errno))
                c.close()
                break
            held.append(c); result['opened'] += 1
        print(json.dumps(result), flush=True)
    elif cmd == 'connect-from':
        host, port, src = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
        c = socket.socket(socket.AF_INET6 if ':' in host else socket.AF_INET)
        c.bind(('', src)); c.connect((host, port)); held.append(c)
        print(json.dumps({'opened': 1, 'sport': c.getsockname()[1]}), flush=True)
    elif cmd == 'flood':
        host, port, count = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
        for _ in range(count):
            c = socket.socket(); c.setblocking(False)
            try:
                c.connect((host, port))
            except BlockingIOError:
                pass
            held.append(c)
        print('flooding', flush=True)
    elif cmd == 'churn':
        host, port, rate, seconds = sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
        result = {'opened': 0}
        start = time.monotonic()
        while time.monotonic() - start < seconds:
            due = start + result['opened'] / rate
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            c = socket.socket(socket.AF_INET6 if ':' in host else socket.AF_INET)
            try:
                c.connect((host, port))
            except OSError as e:
                result.update(errno=e.errno, error=os.strerror(e.errno), failedAfter=round(time.monotonic() - start, 3))
                c.close()
                break
            c.close()
            result['opened'] += 1
        print(json.dumps(result), flush=True)
    else:
        sys.exit('unknown command ' + cmd)
    wait_for_stdin_close()

if __name__ == '__main__':
    main()
