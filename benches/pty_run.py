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
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                        total += int(line.split()[1])
        except FileNotFoundError:
            pass
    return total

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
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("--cwd")
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

    ok = True
    for pattern in a.until:
        t = read_for(a.timeout - (time.monotonic() - start), pattern.encode(), from_start=True)
        if t is None:
            ok = False
            result["matches"][pattern] = None
            break
        result["matches"][pattern] = round(t - start, 4)
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
    if ok and a.window > 0:
        b0, c0, s0 = len(out), proc_cpu(pid), proc_switches(pid)
        t0 = time.monotonic()
        read_for(a.window)
        t1 = time.monotonic()
        result["window"] = {
            "seconds": round(t1 - t0, 3),
            "bytes": len(out) - b0,
            "cpu_seconds": round(proc_cpu(pid) - c0, 3),
            "context_switches": proc_switches(pid) - s0,
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
