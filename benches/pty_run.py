#!/usr/bin/env python3
"""Runs a command in a pseudo-terminal and reports, as JSON on stdout, when its output first
matched patterns, how many bytes it wrote to the terminal, and its CPU time and wake-ups over a
quiet window. Used by the benchmark scripts (ui_startup.sh, idle.sh); the standard library only.

  pty_run.py [--size 120x40] [--until REGEX]... [--keys-after-match K]... [--window S]
             [--window-after REGEX] [--cwd DIR] -- CMD...

--until: regexes (on the output so far, escape sequences included) whose first match times are
         reported, in order: the run waits for each.
--keys:  text sent after all --until matched, one argument per send, with a pause between
         (\\t, \\r, \\x1b escapes understood; "sleep:S" pauses S seconds, "wait:REGEX" waits
         for REGEX in the output that follows).
--window S: then S seconds of watching: bytes written, CPU seconds (utime+stime of the process),
         voluntary + involuntary context switches of all its threads (each wake-up is one).
"""
import argparse, fcntl, json, os, pty, re, select, signal, struct, sys, termios, time

def proc_cpu(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    hz = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / hz

def proc_switches(pid):
    """Context switches so far, per thread id."""
    per = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                        per[tid] = per.get(tid, 0) + int(line.split()[1])
        except FileNotFoundError:
            pass
    return per

def thread_names(pid):
    names = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                names.append(f.read().strip())
        except FileNotFoundError:
            pass
    return names

def proc_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return None

def unescape(s):
    return s.encode().decode("unicode_escape").encode("latin-1")

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="120x40")
    ap.add_argument("--until", action="append", default=[])
    ap.add_argument("--keys", action="append", default=[])
    ap.add_argument("--window", type=float, default=0.0)
    ap.add_argument("--settle", type=float, default=0.0,
                    help="after the matches, read until this long without output; report the last output's time")
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("--cwd")
    ap.add_argument("--wait-thread-gone", help="before the window, wait until no thread has this name")
    ap.add_argument("--dump", help="write everything the program printed to this file")
    ap.add_argument("cmd", nargs="+")
    a = ap.parse_args()
    cols, rows = (int(x) for x in a.size.split("x"))

    start = time.monotonic()
    pid, fd = pty.fork()
    if pid == 0:
        if a.cwd:
            os.chdir(a.cwd)
        os.environ["TERM"] = os.environ.get("BENCH_TERM", "xterm-256color")
        os.execvp(a.cmd[0], a.cmd)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    out = bytearray()
    last_rx = [start]
    result = {"cmd": a.cmd, "matches": {}}

    def read_for(seconds, stop=None, from_start=False):
        """Reads until `stop` (a regex) matches what arrived since the call (or since the start),
        or time is up."""
        begin = 0 if from_start else len(out)
        end = time.monotonic() + seconds
        while True:
            if stop is not None:
                m = re.search(stop, bytes(out[begin:]), re.S)
                if m:
                    return time.monotonic()
            left = end - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([fd], [], [], min(left, 0.5))
            if r:
                try:
                    data = os.read(fd, 65536)
                except OSError:
                    return None
                if not data:
                    return None
                out.extend(data)
                last_rx[0] = time.monotonic()

    ok = True
    for pattern in a.until:
        t = read_for(a.timeout - (time.monotonic() - start), pattern.encode(), from_start=True)
        if t is None:
            ok = False
            result["matches"][pattern] = None
            break
        result["matches"][pattern] = round(t - start, 4)
    if ok and a.settle > 0:
        while time.monotonic() - start < a.timeout:
            n = len(out)
            read_for(a.settle)
            if len(out) == n:
                break
        result["settled_at"] = round(last_rx[0] - start, 4)
        result["settled_at_output"] = len(out)
    if ok:
        for k in a.keys:
            if k.startswith("sleep:"):
                read_for(float(k[6:]))
            elif k.startswith("wait:"):
                if read_for(a.timeout, k[5:].encode()) is None:
                    ok = False
                    result["waited_for"] = k[5:]
                    break
            else:
                os.write(fd, unescape(k))
                read_for(0.2)
    if ok and a.wait_thread_gone:
        t = time.monotonic()
        while a.wait_thread_gone in thread_names(pid) and time.monotonic() - start < a.timeout:
            read_for(0.2)
        result["thread_gone_after"] = round(time.monotonic() - t, 3)
    if ok and a.window > 0:
        b0, c0, base = len(out), proc_cpu(pid), proc_switches(pid)
        seen = dict(base)
        t0 = time.monotonic()
        # Sample the threads every half second, so a thread that ends in the window still counts.
        while time.monotonic() - t0 < a.window:
            read_for(min(0.5, a.window - (time.monotonic() - t0)))
            seen.update(proc_switches(pid))
        t1 = time.monotonic()
        result["window"] = {
            "seconds": round(t1 - t0, 3),
            "bytes": len(out) - b0,
            "cpu_seconds": round(proc_cpu(pid) - c0, 3),
            "context_switches": sum(v - base.get(t, 0) for t, v in seen.items()),
        }
    try:
        result["rss_peak_kib"] = proc_kib(pid, "VmHWM")
        result["rss_kib"] = proc_kib(pid, "VmRSS")
    except FileNotFoundError:
        pass
    result["ok"] = ok
    result["bytes_total"] = len(out)
    if a.dump:
        with open(a.dump, "wb") as f:
            f.write(out)
    try:
        os.kill(pid, signal.SIGTERM)
        for _ in range(50):
            if os.waitpid(pid, os.WNOHANG)[0]:
                break
            time.sleep(0.05)
        else:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass
    print(json.dumps(result))
    sys.exit(0 if ok else 1)

main()
