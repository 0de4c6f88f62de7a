#!/usr/bin/env python3
"""Endpoints that say who they are, and a client that counts them, run inside a test network namespace.

  serve IP:PORT …          one server per address: each accepted connection is sent the address, then closed;
                           prints "ready" and serves until stdin closes
  count IP PORT N [SECS]   N connections to IP:PORT, each read to the end; prints a JSON object
                           {"10.244.0.2:8080": 97, …, "errors": {"ECONNREFUSED": 3}}; with SECS, a connect
                           that has no answer by then counts as ETIMEDOUT
"""
import errno, json, os, socket, sys, threading

def serve(addrs):
    for a in addrs:
        ip, port = a.rsplit(':', 1)
        s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((ip, int(port))); s.listen(512)
        def loop(s=s, a=a):
            while True:
                c, _ = s.accept()
                c.sendall(a.encode()); c.close()
        threading.Thread(target=loop, daemon=True).start()
    print('ready', flush=True)
    sys.stdin.read()

def count(ip, port, n, timeout=None):
    out = {'errors': {}}
    for _ in range(n):
        c = socket.socket()
        c.settimeout(timeout)
        try:
            c.connect((ip, port))
            who = b''
            while True:
                b = c.recv(64)
                if not b: break
                who += b
            out[who.decode()] = out.get(who.decode(), 0) + 1
        except TimeoutError:
            out['errors']['ETIMEDOUT'] = out['errors'].get('ETIMEDOUT', 0) + 1
        except OSError as e:
            name = errno.errorcode.get(e.errno, str(e.errno))
            out['errors'][name] = out['errors'].get(name, 0) + 1
        finally:
            c.close()
    print(json.dumps(out), flush=True)

if sys.argv[1] == 'serve':
    serve(sys.argv[2:])
else:
    count(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]) if len(sys.argv) > 5 else None)
