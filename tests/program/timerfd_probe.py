#!/usr/bin/env python3
"""A program that keeps time with a timerfd (through libc, as C programs do) and an epoll loop.

It arms a CLOCK_MONOTONIC timer 5 ms out, then every 10 ms, waits for it three times and prints
the monotonic time at each expiry and the expiration count read, on one line, for
program_sim_test.sh: on the virtual clock that is 1000.005, 1000.015 and 1000.025 s exactly.
"""
import ctypes
import os
import select
import struct
import sys
import time

CLOCK_MONOTONIC, TFD_NONBLOCK = 1, 0o4000


class Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


class Itimerspec(ctypes.Structure):
    _fields_ = [("it_interval", Timespec), ("it_value", Timespec)]


libc = ctypes.CDLL(None, use_errno=True)
fd = libc.timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK)
if fd < 0:
    sys.exit(f"timerfd_create: {os.strerror(ctypes.get_errno())}")
spec = Itimerspec(Timespec(0, 10_000_000), Timespec(0, 5_000_000))
if libc.timerfd_settime(fd, 0, ctypes.byref(spec), None) != 0:
    sys.exit(f"timerfd_settime: {os.strerror(ctypes.get_errno())}")
poller = select.epoll()
poller.register(fd, select.EPOLLIN)
seen = []
while len(seen) < 3:
    for _ in poller.poll(-1):
        (count,) = struct.unpack("=Q", os.read(fd, 8))
        seen.append(f"{time.monotonic():.6f}x{count}")
print("timerfd: " + " ".join(seen), file=sys.stderr)
select.select([], [], [])  # stay until the run ends
