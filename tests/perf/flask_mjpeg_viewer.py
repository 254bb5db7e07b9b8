# SPDX-License-Identifier: MIT
"""The peer of tests/perf/mjpeg-fanout: the Flask + OpenCV MJPEG viewer that people run today.

Usage: /usr/bin/python3 flask_mjpeg_viewer.py RTSP_URL PORT   (Debian's python3-flask, python3-opencv)

A faithful copy of the usual cctv-iot.py (shared/seeds: "RTSP camera ->
OpenCV VideoCapture -> JPEG encoding -> Flask generator -> HTTP response ->
<img>", "implicit threading in Flask for multiple clients"). Kept as it is:
- one cv2.VideoCapture on the RTSP URL, opened at start, shared by everyone;
- a generator per HTTP request that calls camera.read() and cv2.imencode()
  on every frame it gets, for every viewer (no shared encode: N viewers take
  turns reading the one capture, from N threads, without a lock);
- multipart/x-mixed-replace with boundary "frame", parts with only a
  Content-Type header, the boundary written before each picture;
- Flask's development server, threaded (Flask's default), no auth, no
  reconnect: the stream ends when a read fails.
Changed only to make it runnable by the benchmark: the URL and port come
from the command line instead of being edited into the file, it listens on
127.0.0.1 instead of 0.0.0.0, debug=False (the debug reloader would fork a
second process and hide the server's CPU time from /proc/PID), and the index
page is inline instead of a templates/index.html file.
"""
import sys

import cv2
from flask import Flask, Response

RTSP_URL = sys.argv[1]
PORT = int(sys.argv[2])

app = Flask(__name__)
camera = cv2.VideoCapture(RTSP_URL)


def generate_frames():
    while True:
        success, frame = camera.read()
        if not success:
            break
        ret, buffer = cv2.imencode('.jpg', frame)
        frame = buffer.tobytes()
        yield (b'--frame\r\n'
               b'Content-Type: image/jpeg\r\n\r\n' + frame + b'\r\n')


@app.route('/')
def index():
    return '<html><body><h1>CCTV</h1><img src="/video_feed"></body></html>'


@app.route('/video_feed')
def video_feed():
    return Response(generate_frames(), mimetype='multipart/x-mixed-replace; boundary=frame')


if __name__ == '__main__':
    app.run(host='127.0.0.1', port=PORT, debug=False, threaded=True)
