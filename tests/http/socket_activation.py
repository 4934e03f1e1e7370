#!/usr/bin/env python3
"""Socket activation and inherited sockets, as systemd does it: runs the ExecStart of
examples/systemd/coring-http.service (the binary replaced by the one under test) with a listening
socket as fd 3 and LISTEN_PID/LISTEN_FDS/LISTEN_FDNAMES set, and checks that it serves on that
socket and stops with status 0 on SIGTERM; then --listen-fd N for coring-http and coring-echo.
Usage: socket_activation.py CORING_HTTP CORING_ECHO REPO_ROOT"""
import os, shlex, signal, socket, subprocess, sys, time

http_bin, echo_bin, root = sys.argv[1], sys.argv[2], sys.argv[3]


def unit(name):
    """The [Section] key=value lines of an example unit file, as a dict."""
    out = {}
    for line in open(os.path.join(root, "examples/systemd", name)):
        line = line.strip()
        if line and not line.startswith(("#", "[")) and "=" in line:
            k, v = line.split("=", 1)
            out[k] = v
    return out


def listening_socket(backlog):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))  # the unit's ListenStream=8080, made ephemeral for the test
    s.listen(backlog)
    return s


def get(port, path="/"):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as c:
        c.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := c.recv(65536):
            data += chunk
    return data


def wait_serving(proc, check, what):
    for _ in range(100):
        if proc.poll() is not None:
            sys.exit(f"FAIL: {what} exited with {proc.returncode}:\n{proc.stdout.read().decode()}")
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.05)
    sys.exit(f"FAIL: {what} does not serve on the inherited socket")


def stop(proc, what):
    proc.send_signal(signal.SIGTERM)
    rc = proc.wait(timeout=20)
    log = proc.stdout.read().decode()
    if rc != 0:
        sys.exit(f"FAIL: {what} exited with {rc}:\n{log}")
    return log


def http_ok(port):
    r = get(port)
    return r.startswith(b"HTTP/1.1 200") and r.endswith(b"Hello, World!")


# 0. docs/deploy.md shows these units: every setting of theirs is in its text.
sock_unit, svc_unit = unit("coring-http.socket"), unit("coring-http.service")
doc = open(os.path.join(root, "docs/deploy.md")).read()
for name, u in (("coring-http.socket", sock_unit), ("coring-http.service", svc_unit)):
    for k, v in u.items():
        if k not in ("Description", "WantedBy") and f"{k}={v}" not in doc:
            sys.exit(f"FAIL: docs/deploy.md does not show {k}={v} of examples/systemd/{name}")

# 1. The unit pair, started as systemd starts it: socket on fd 3, LISTEN_PID = the service's pid.
argv = shlex.split(svc_unit["ExecStart"])
argv[0] = http_bin
for backend in ("uring", "epoll"):
    s = listening_socket(int(sock_unit["Backlog"]))
    port = s.getsockname()[1]
    env = dict(os.environ, LISTEN_FDS="1", LISTEN_FDNAMES=sock_unit["FileDescriptorName"])
    # sh sets LISTEN_PID to its own pid, then exec keeps that pid for the server.
    cmd = ["sh", "-c", 'LISTEN_PID=$$ exec "$@"', "sh"] + argv + ["--backend", backend, "--shards", "2"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            pass_fds=(3,), preexec_fn=lambda fd=s.fileno(): os.dup2(fd, 3))
    s.close()  # the server holds the only descriptor now (as systemd would hold its own)
    wait_serving(proc, lambda: http_ok(port), f"coring-http ({backend}, LISTEN_FDS)")
    for _ in range(20):  # both shards share the one socket
        assert http_ok(port)
    stop(proc, f"coring-http ({backend}, LISTEN_FDS)")
    print(f"socket activation, {backend}: ok")

# 2. --listen-fd N, without the variables: coring-http and coring-echo.
def echoes(port):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as c:
        c.sendall(b"ping")
        return c.recv(16) == b"ping"


def serve_listen_fd(binary, backend, shards, check, what):
    """Runs `binary --listen-fd N` on a fresh listening socket and checks it serves, then stops it."""
    s = listening_socket(128)
    port = s.getsockname()[1]
    fd = os.dup(s.fileno())
    s.close()
    proc = subprocess.Popen([binary, "--listen-fd", str(fd), "--backend", backend, "--shards", str(shards)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, pass_fds=(fd,))
    os.close(fd)
    wait_serving(proc, lambda: check(port), f"{what} --listen-fd ({backend})")
    stop(proc, f"{what} --listen-fd ({backend})")


for backend in ("uring", "epoll"):
    serve_listen_fd(http_bin, backend, 1, http_ok, "coring-http")
    serve_listen_fd(echo_bin, backend, 2, echoes, "coring-echo")
    print(f"--listen-fd, {backend}: ok")

# 3. A descriptor that is not a listening socket is refused with a clear error.
r, w = os.pipe()
p = subprocess.run([http_bin, "--listen-fd", str(r)], pass_fds=(r,), capture_output=True, text=True, timeout=20)
if p.returncode == 0 or "cannot adopt" not in p.stderr:
    sys.exit(f"FAIL: a pipe as --listen-fd: status {p.returncode}, stderr {p.stderr!r}")
print("a pipe as --listen-fd is refused: ok")
