#!/usr/bin/env python3
"""The timing harness of scripts/bench.sh: runs the commands side by side and prints issue 21's
rows at 50 and at 1,000 tokens (each registry covers 10,000 repositories, file store).

Every timed run is one posix_spawn (glibc: clone(CLONE_VM|CLONE_VFORK) + exec) with stdin
opened from the request file, stdout and stderr on /dev/null, the same hermetic environment
and working directory, then wait4; wall time is taken around those two calls. Rounds visit
every command of a group once, in a new random order each round, so drift on a shared machine
falls on all commands alike; "paired" ratios are the median of the per-round ratios. Before
timing, every command runs once with its output captured and checked.

Needs only Python's standard library. Not meant to be run by hand: scripts/bench.sh builds and
generates what it needs (see --help there).
"""

import argparse
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import time

DEVNULL = os.devnull
URL = "credential.https://github.com"


class Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise Timeout()


signal.signal(signal.SIGALRM, _alarm)


class Cmd:
    def __init__(self, key, label, argv, stdin, env, expect, before=None, verify=None, cap=None):
        self.key, self.label, self.argv, self.stdin, self.env = key, label, list(argv), stdin, env
        self.expect = expect  # bytes that must be in stdout; b"" for an empty answer
        self.before = before  # called before every run (the first get changes the config)
        self.verify = verify  # after the check run: returns (ok, note)
        self.cap = cap  # seconds; a longer run is killed (and counted as "> cap")
        self.actions = [
            (os.POSIX_SPAWN_OPEN, 0, stdin, os.O_RDONLY, 0),
            (os.POSIX_SPAWN_OPEN, 1, DEVNULL, os.O_WRONLY, 0),
            (os.POSIX_SPAWN_OPEN, 2, DEVNULL, os.O_WRONLY, 0),
        ]
        self.wall = []
        self.killed = 0

    def run_timed(self):
        """Wall ms, or None when the run was killed at self.cap."""
        if self.before:
            self.before()
        t0 = time.perf_counter_ns()
        pid = os.posix_spawn(self.argv[0], self.argv, self.env, file_actions=self.actions)
        if self.cap:
            signal.setitimer(signal.ITIMER_REAL, self.cap)
        try:
            _, status, _ = os.wait4(pid, 0)
            t1 = time.perf_counter_ns()
        except Timeout:
            os.kill(pid, signal.SIGKILL)
            os.wait4(pid, 0)
            self.killed += 1
            return None
        finally:
            if self.cap:
                signal.setitimer(signal.ITIMER_REAL, 0)
        if status != 0:
            raise SystemExit("bench: %s exited with status %#x during timing" % (self.key, status))
        return (t1 - t0) / 1e6

    def record(self):
        w = self.run_timed()
        if w is not None:
            self.wall.append(w)
        return w

    def check(self):
        """One captured run: stops the benchmark when the answer is wrong."""
        if self.before:
            self.before()
        with open(self.stdin, "rb") as f:
            r = subprocess.run(self.argv, stdin=f, env=self.env, capture_output=True, timeout=600)
        bad = r.returncode != 0 or (self.expect not in r.stdout if self.expect else r.stdout != b"")
        note = ""
        if not bad and self.verify:
            ok, note = self.verify()
            bad = not ok
        if bad:
            sys.exit("bench: %s answered wrongly (exit %d): stdout %r, stderr %r %s"
                     % (self.label, r.returncode, r.stdout[:200], r.stderr.decode(errors="replace")[:500], note))


class Group:
    """Commands timed round-robin; keeps every round's walls for paired ratios."""

    def __init__(self, cmds):
        self.cmds = cmds
        self.rounds = []

    def run(self, runs, warmup, rng):
        for c in self.cmds:
            c.check()
        for _ in range(warmup):
            for c in rng.sample(self.cmds, len(self.cmds)):
                c.run_timed()
        for _ in range(runs):
            self.rounds.append({c.key: c.record() for c in rng.sample(self.cmds, len(self.cmds))})
        return self

    def paired(self, key, base):
        return med([r[key] / r[base] for r in self.rounds if r.get(key) and r.get(base)])


def med(xs):
    return statistics.median(xs) if xs else float("nan")


def mad(xs):
    m = med(xs)
    return med([abs(x - m) for x in xs])


def fx(x):
    return "-" if x != x else "%.2fx" % x


def table(header, rows, align=None):
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    align = align or ["<"] + [">"] * (len(header) - 1)
    out = []
    for n, r in enumerate([header] + rows):
        cells = [("{:%s%d}" % (align[i], widths[i])).format(str(c)) for i, c in enumerate(r)]
        out.append(("  " + "  ".join(cells)).rstrip())
        if n == 0:
            out.append("  " + "  ".join("-" * w for w in widths))
    return "\n".join(out)


def section(title):
    print("\n%s\n%s" % (title, "=" * len(title)))
    sys.stdout.flush()


def git_config_file(git, path, entries):
    """Writes a git config file with `git config --file` (git stays the writer of its files)."""
    open(path, "w").close()
    for k, v in entries:
        subprocess.run([git, "config", "--file", path, "--add", k, v], check=True)


def read(p):
    with open(p, "rb") as f:
        return f.read().strip()


class Bench:
    """The work directory's registries (r50, r1000) and credential-store's one-line file."""

    def __init__(self, a):
        self.a = a
        self.work = os.path.realpath(a.work)
        self.path = os.pathsep.join([os.path.join(self.work, "bin"), "/usr/local/bin", "/usr/bin", "/bin"])
        self.store1 = os.path.join(self.work, "store-1")

    def env_for(self, home, **extra):
        env = {
            "PATH": self.path,
            "HOME": home,
            "XDG_CONFIG_HOME": os.path.join(home, ".config"),
            "XDG_DATA_HOME": os.path.join(home, ".local", "share"),
            "XDG_CACHE_HOME": os.path.join(home, ".cache"),
            "XDG_STATE_HOME": os.path.join(home, ".local", "state"),
            "GIT_CREDENTIAL_SCOPED_CONFIG": os.path.join(home, ".config", "git-credential-scoped", "config.toml"),
            "GIT_CREDENTIAL_SCOPED_SECRET_STORE": "file",
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CEILING_DIRECTORIES": os.path.dirname(self.work),
            "GIT_TERMINAL_PROMPT": "0",
            "LC_ALL": "C",
        }
        env.update(extra)
        return env

    def reg(self, n, name=""):
        return os.path.join(self.work, "r%d" % n, name)

    def home(self, n):
        return self.reg(n, "home")

    def hit(self, n):
        return b"password=" + read(self.reg(n, "expect-hit"))

    def get(self, n, key=None, label=None):
        return Cmd(key or "get-%d" % n, label or "scoped get, %s tokens" % "{:,}".format(n), [self.a.bin, "get"],
                   self.reg(n, "request-hit"), self.env_for(self.home(n)), self.hit(n))

    def cs_get(self):
        return Cmd("cs-get", "git credential-store get (1 line)",
                   [self.a.git, "credential-store", "--file", self.store1, "get"],
                   self.reg(1000, "request-hit"), self.env_for(os.path.join(self.work, "store-home")),
                   b"password=" + read(self.store1 + ".expect"))

    def fill_setup(self, n):
        """`git credential fill` with the helper configured by the binary's own `setup`."""
        cfg = os.path.join(self.work, "gitconfig-setup-%d" % n)
        git_config_file(self.a.git, cfg, [("credential.helper", "")])
        env = self.env_for(self.home(n), GIT_CONFIG_GLOBAL=cfg)
        r = subprocess.run([self.a.bin, "setup"], env=env, capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit("bench: `setup` failed (exit %d): %s" % (r.returncode, r.stderr.strip()))
        return Cmd("fill-%d" % n, "fill via setup's config, %s tokens" % "{:,}".format(n),
                   [self.a.git, "credential", "fill"], self.reg(n, "request-hit"), env, self.hit(n))

    def fill_store(self):
        cfg = os.path.join(self.work, "gitconfig-store")
        git_config_file(self.a.git, cfg, [("credential.helper", ""), (URL + ".helper", ""),
                                          (URL + ".helper", "store --file " + self.store1),
                                          (URL + ".useHttpPath", "true")])
        env = self.env_for(os.path.join(self.work, "store-home"), GIT_CONFIG_GLOBAL=cfg)
        return Cmd("fill-cs", "fill via credential-store (1 line)", [self.a.git, "credential", "fill"],
                   self.reg(1000, "request-hit"), env, b"password=" + read(self.store1 + ".expect"))

    def cs_store(self):
        target = os.path.join(self.work, "store-1w")
        shutil.copyfile(self.store1, target)
        os.chmod(target, 0o600)

        def verify():
            with open(target) as f:
                n = len(f.read().splitlines())
            return n == 1, "the file holds %d line(s)" % n

        return Cmd("cs-store", "git credential-store store (1 line)",
                   [self.a.git, "credential-store", "--file", target, "store"], self.store1 + ".request-store",
                   self.env_for(os.path.join(self.work, "store-home")), b"", verify=verify)

    def store(self, n):
        """`store` of the registered token that `get` answered: recognised, so nothing is
        written to the generic store."""
        data = os.path.join(self.home(n), ".local", "share", "git-credential-scoped")

        def verify():
            generic = [f for f in ("credentials",) if os.path.exists(os.path.join(data, f))]
            return not generic, "the generic store was written: %s" % generic

        return Cmd("store-%d" % n, "scoped store, %s tokens" % "{:,}".format(n), [self.a.bin, "store"],
                   self.reg(n, "request-store"), self.env_for(self.home(n)), b"", verify=verify)

    def first_get(self, n):
        """A `get` right after config.toml changed: a trailing comment comes and goes (size,
        mtime and content change), as when the user or `add` touched the file."""
        config = os.path.join(self.home(n), ".config", "git-credential-scoped", "config.toml")
        mark = b"# bench: changed\n"

        def change():
            size = os.path.getsize(config)
            with open(config, "rb+") as f:
                f.seek(max(0, size - len(mark)))
                if f.read() == mark:
                    f.truncate(size - len(mark))
                else:
                    f.write(mark)

        c = self.get(n, "first-%d" % n, "first get after a config change, %s tokens" % "{:,}".format(n))
        c.before, c.cap = change, self.a.cold_cap
        return c


def setup_facts(b):
    a = b.a
    section("Set-up" + (": " + a.label if a.label else ""))
    print("  machine   %s, %d CPUs, load %s" % (os.uname().release, os.cpu_count(),
                                               " ".join("%.2f" % x for x in os.getloadavg())))
    print("  binary    %s (%s bytes)" % (a.bin, "{:,}".format(os.path.getsize(a.bin))))
    if shutil.which("file"):
        kind = subprocess.run(["file", "-b", a.bin], capture_output=True, text=True).stdout.strip()
        print("            %s" % kind)
    print("  git       %s" % subprocess.run([a.git, "--version"], capture_output=True, text=True).stdout.strip())
    for n in (50, 1000):
        print("  r%-8d %s" % (n, read(b.reg(n, "layout")).decode()))
    print("  timing    posix_spawn + wait4 per run, rounds in random order, paired = median of per-round ratios")


def timed(title, group, base, runs, warmup, rng):
    section("%s (%d rounds)" % (title, runs))
    group.run(runs, warmup, rng)
    m0 = med(next(c for c in group.cmds if c.key == base).wall)
    rows = [[c.label, "%.3f" % med(c.wall), "%.3f" % mad(c.wall), "%.3f" % min(c.wall),
             fx(med(c.wall) / m0), fx(group.paired(c.key, base))] for c in group.cmds]
    print(table(["command", "median ms", "MAD", "min", "x base", "paired"], rows))
    return group


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", required=True)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--git", required=True)
    ap.add_argument("--runs", type=int, required=True)
    ap.add_argument("--warmup", type=int, required=True)
    ap.add_argument("--fill-runs", type=int, required=True)
    ap.add_argument("--store-runs", type=int, required=True)
    ap.add_argument("--cold-runs", type=int, required=True)
    ap.add_argument("--cold-cap", type=float, required=True, help="seconds one first get may take")
    ap.add_argument("--seed", type=int, default=21)
    ap.add_argument("--label", default="", help="which build --bin is, for the headings")
    a = ap.parse_args()
    b = Bench(a)
    os.chdir(b.work)  # no git repository around: git's discovery stops here (ceiling)
    os.makedirs(os.path.join(b.work, "store-home"), exist_ok=True)
    rng = random.Random(a.seed)
    sizes = (50, 1000)
    setup_facts(b)

    gets = timed("get vs git credential-store get", Group([b.cs_get()] + [b.get(n) for n in sizes]),
                 "cs-get", a.runs, a.warmup, rng)
    fills = timed("git credential fill: the helper as `setup` configures it vs credential-store",
                  Group([b.fill_store()] + [b.fill_setup(n) for n in sizes]), "fill-cs", a.fill_runs,
                  a.warmup // 3, rng)
    stores = timed("store of a registered token vs git credential-store store",
                   Group([b.cs_store()] + [b.store(n) for n in sizes]), "cs-store", a.store_runs,
                   a.warmup // 3, rng)
    section("First get after a config change (%d runs)" % a.cold_runs)
    first = b.first_get(1000)
    first.check()
    for _ in range(a.cold_runs):
        first.record()
    b.get(1000).check()  # leaves the cache warm for the next run
    print(table(["command", "median ms", "MAD", "min", "killed"],
                [[first.label, "%.1f" % med(first.wall), "%.1f" % mad(first.wall),
                  "%.1f" % min(first.wall) if first.wall else "-", first.killed]]))

    section("Issue 21's rows, this run%s (paired ratio; ratio of medians in brackets)"
            % (", " + a.label if a.label else ""))

    def row(what, g, key, base, bar):
        p = g.paired(key, base)
        m = med(next(c for c in g.cmds if c.key == key).wall) / med(next(c for c in g.cmds if c.key == base).wall)
        return [what, "%s (%s)" % (fx(p), fx(m)), "<= %.2fx" % bar, "meets" if p <= bar else "above"]

    rows = []
    for n in sizes:
        t = "{:,} tokens".format(n)
        rows.append(row("get vs credential-store get, " + t, gets, "get-%d" % n, "cs-get", 0.75))
        rows.append(row("fill via setup's config vs via credential-store, " + t, fills, "fill-%d" % n, "fill-cs", 0.95))
        rows.append(row("store of a registered token vs credential-store store, " + t, stores, "store-%d" % n,
                        "cs-store", 1.0))
    f = med(first.wall) if first.wall and not first.killed else float("inf")
    rows.append(["first get after a config change, 1,000 tokens", "%.1f ms" % f, "<= 100 ms",
                 "meets" if f <= 100 else "above"])
    print(table(["row", "now", "target", ""], rows, ["<", ">", ">", "<"]))
    print("  (a benchmark, not a test: nothing here fails the run)")


if __name__ == "__main__":
    main()
