#!/usr/bin/env python3
"""Prints one line per row of HAProxy's "show stat" for a proxy: NAME STATUS RETRIES REDISPATCHES.

Usage: haproxy_stat.py SOCKET PROXY   (SOCKET: the "stats socket" path of the running haproxy)
"""
import socket
import sys


def main() -> int:
    sock, proxy = sys.argv[1], sys.argv[2]
    s = socket.socket(socket.AF_UNIX)
    s.connect(sock)
    s.sendall(b"show stat\n")
    data = b""
    while chunk := s.recv(65536):
        data += chunk
    lines = data.decode().splitlines()
    header = lines[0].lstrip("# ").split(",")
    for line in lines[1:]:
        row = dict(zip(header, line.split(",")))
        if row.get("pxname") == proxy:
            print(row["svname"], row["status"], row.get("wretr") or 0, row.get("wredis") or 0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
