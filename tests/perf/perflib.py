# SPDX-License-Identifier: MIT
"""Shared pieces of the benchmarks: the camera fixture, a keyframe observer, timing."""
import email.parser
import http.client
import os
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def build_dir():
    return os.environ.get("CCTV_BUILD", os.path.join(ROOT, "build"))


def tool(name):
    path = os.path.join(build_dir(), "bin", name)
    if not os.path.exists(path):
        sys.exit(f"{path} not found: build first (scripts/build)")
    return path


class Camera:
    """The gst-rtsp-server fixture on 127.0.0.1, stopped on exit."""

    def __init__(self):
        media = os.path.join(build_dir(), "tests", "fixtures", "media")
        self.proc = subprocess.Popen([tool("cctv-test-camera"), "--media-dir", media],
                                     stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().strip()
        if not line.startswith("READY port="):
            self.stop()
            sys.exit(f"camera fixture did not start: {line!r}")
        self.port = int(line.split("=", 1)[1])

    def url(self, mount):
        return f"rtsp://127.0.0.1:{self.port}/{mount}"

    def stop(self):
        stop_process(self.proc)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class KeyframeObserver:
    """A separate client that records when each keyframe of a mount arrives.

    The camera sends a keyframe once per GOP to every client at once, so the
    first keyframe a client can decode is the first one that arrives here
    after the client started: that wait is the floor no client can beat.
    """

    def __init__(self, url, seconds):
        cmd = ["stdbuf", "-oL", shutil.which("ffprobe"), "-v", "error", "-rtsp_transport", "tcp",
               "-select_streams", "v:0", "-show_entries", "packet=flags", "-of", "csv=p=0",
               "-read_intervals", f"%+{seconds}", url]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        self.times = []
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        for line in self.proc.stdout:
            if line.startswith("K"):
                with self.lock:
                    self.times.append(time.monotonic())

    def first_after(self, t, deadline=5.0):
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            with self.lock:
                later = [k for k in self.times if k > t]
            if later:
                return later[0]
            time.sleep(0.01)
        return None

    def stop(self):
        stop_process(self.proc)


def stop_process(proc):
    """SIGTERM, then SIGKILL after 5 s."""
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def timed(cmd, timeout=30):
    """Runs cmd, returns (start, end, completed process) with monotonic times."""
    start = time.monotonic()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    end = time.monotonic()
    if proc.returncode != 0:
        sys.exit(f"{cmd[0]} failed ({proc.returncode}): {proc.stderr.decode()[-300:]}")
    return start, end, proc


def median(xs):
    return statistics.median(xs) if xs else float("nan")


# --- Servers under load (tests/perf/mjpeg-fanout) ---------------------------


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago, for servers that cannot bind port 0."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port, proc, timeout=30.0):
    """Waits until 127.0.0.1:port accepts a connection; exits if proc dies or after timeout."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            sys.exit(f"server exited ({proc.returncode}) before listening on port {port}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    stop_process(proc)
    sys.exit(f"server not listening on port {port} after {timeout:.0f} s")


class ProcStats:
    """Samples a process's CPU time (utime+stime, /proc/PID/stat) and peak RSS (VmHWM) every 0.2 s.

    Readings stay available after the process died: the last sample holds,
    and `gone_at` tells (monotonic time) when it was first seen dead.
    """

    TICK = os.sysconf("SC_CLK_TCK")

    def __init__(self, pid):
        self.pid = pid
        self.cpu = 0.0
        self.hwm_kib = 0
        self.gone_at = None
        self._stop = threading.Event()
        self._sample()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _sample(self):
        if self.gone_at is not None:
            return False
        try:
            with open(f"/proc/{self.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{self.pid}/status") as f:
                hwm = [line.split()[1] for line in f if line.startswith("VmHWM:")]
        except (OSError, IndexError):
            hwm = []
        if not hwm:  # gone, or a zombie (no memory left to report)
            self.gone_at = time.monotonic()
            return False
        self.cpu = (int(fields[11]) + int(fields[12])) / self.TICK  # fields 14 and 15 of stat(5)
        self.hwm_kib = int(hwm[0])
        return True

    def _run(self):
        while not self._stop.wait(0.2) and self._sample():
            pass

    def cpu_seconds(self):
        """CPU seconds used so far (fresh if the process lives, else the last sample)."""
        self._sample()
        return self.cpu

    def stop(self):
        self._stop.set()
        self.thread.join()


class MultipartViewer:
    """One viewer of a multipart/x-mixed-replace HTTP stream, read in a thread until a deadline.

    http.client parses the HTTP response (chunked or not); the body is split
    at the boundary of its Content-Type (RFC 2046 delimiters, CRLF "--"
    boundary). A part counts once the next delimiter has arrived, so only
    complete parts count: `times` holds when each valid JPEG part (SOI ...
    EOI, and Content-Length right when present) was complete, `sizes` its
    JPEG's size in bytes, `bad` the other parts, `error` why the stream could not be read or ended early.
    """

    def __init__(self, url, deadline):
        self.url = urllib.parse.urlsplit(url)
        self.deadline = deadline
        self.times = []
        self.sizes = []
        self.bad = 0
        self.error = ""
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        conn = http.client.HTTPConnection(self.url.hostname, self.url.port, timeout=10)
        try:
            path = self.url.path + (f"?{self.url.query}" if self.url.query else "")
            conn.request("GET", path)
            resp = conn.getresponse()
            boundary = resp.headers.get_param("boundary")
            if resp.status != 200 or not boundary:
                self.error = f"HTTP {resp.status} {resp.headers.get('Content-Type')}"
                return
            self._read_parts(resp, b"--" + boundary.encode())
        except (OSError, http.client.HTTPException) as e:
            self.error = f"{type(e).__name__}: {e}"
        finally:
            conn.close()

    def _read_parts(self, resp, delimiter):
        buf = bytearray()
        start = -1  # where the current part's headers begin, after its delimiter line
        while time.monotonic() < self.deadline:
            chunk = resp.read1(1 << 16)
            if not chunk:
                self.error = "the server ended the stream"
                return
            scan_from = max(0, len(buf) - len(delimiter) - 2)
            buf += chunk
            while True:
                pos = buf.find(delimiter, scan_from)
                if pos < 0:
                    break
                if start >= 0:
                    self._part(bytes(buf[start:pos]))
                eol = buf.find(b"\r\n", pos)
                if eol < 0:
                    start = -1
                    del buf[:pos]
                    break
                start = eol + 2
                del buf[:start]
                start, scan_from = 0, 0

    def _part(self, part):
        head, sep, body = part.partition(b"\r\n\r\n")
        if body.endswith(b"\r\n"):
            body = body[:-2]  # the CRLF before the delimiter belongs to the delimiter
        headers = email.parser.BytesHeaderParser().parsebytes(head + b"\r\n\r\n")
        length = headers.get("Content-Length")
        ok = (sep and headers.get_content_type() == "image/jpeg" and body[:2] == b"\xff\xd8"
              and body[-2:] == b"\xff\xd9" and (length is None or int(length) == len(body)))
        if ok:
            self.times.append(time.monotonic())
            self.sizes.append(len(body))
        else:
            self.bad += 1

    def count(self, begin, end):
        """Valid parts completed within [begin, end) (monotonic times)."""
        return sum(1 for t in self.times if begin <= t < end)

    def join(self):
        self.thread.join(max(0.0, self.deadline - time.monotonic()) + 15)


def start_measured(cmd):
    """Starts cmd with its output discarded; finish it with stop_measured()."""
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop_measured(proc):
    """SIGTERM (SIGKILL after 5 s), then returns (exit status, CPU seconds, peak RSS in MiB) from wait4."""
    proc.terminate()
    deadline = time.monotonic() + 5
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid == proc.pid:
            break
        if time.monotonic() > deadline:
            proc.kill()
            pid, status, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.02)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024.0
