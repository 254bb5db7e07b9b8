# SPDX-License-Identifier: MIT
"""Shared pieces of the benchmarks: the camera fixture, a keyframe observer, timing."""
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time

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
