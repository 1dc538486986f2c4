# SPDX-License-Identifier: MIT
"""The scheduler on both arches (docs/scheduler.md): weights, caps, affinity, more vCPUs
than CPUs, an idle neighbour, and the static-partition mode.

The test guest's `cpuhog` mode spins through a window of system time (the same span in
every domain) and reports the CPU time it got, read with VCPUOP_get_runstate_info as any
guest reads it: `CPUHOG v<id> running=<ms> runnable=<ms> blocked=<ms> window=<ms>
late=<0|1>`. Windows open at from_ms of system time, after every guest has booted.
"""
import os
import re
import subprocess
import sys

import pytest

from conftest import ARCHES, BUILD, LOG_DIR, TOP

BH_BOOT = os.path.join(TOP, "toolstack", "bh-boot")
FROM_MS = 1500   # past the boot of every guest, even on a loaded machine
WINDOW_MS = 3000
HOG = re.compile(r"^\(d(\d+)\) CPUHOG v(\d+) running=(\d+) runnable=(\d+) blocked=(\d+) "
                 r"window=(\d+) late=(\d)$", re.M)


class Run:
    def __init__(self, proc, log):
        self.status = proc.returncode
        self.output = proc.stdout.replace("\r\n", "\n")
        self.log = log

    def domid(self, name):
        m = re.search(rf"^bulkhead: d(\d+) \({re.escape(name)}\): ", self.output, re.M)
        assert m, f"domain {name} was not created; log {self.log}"
        return int(m.group(1))

    def hogs(self, name):
        """{vcpu: (running, runnable, blocked, window)} in ms for domain @name."""
        d = self.domid(name)
        out = {}
        for dom, v, run, wait, blk, win, late in HOG.findall(self.output):
            if int(dom) == d:
                assert late == "0", f"{name} v{v} booted after its window opened; log {self.log}"
                out[int(v)] = (int(run), int(wait), int(blk), int(win))
        return out


@pytest.fixture
def boot(request, tmp_path):
    """boot(arch, [(name, bootargs, {xl.cfg key: value text}), ...], smp=2, append=None)"""

    def _run(arch, specs, smp=2, append=None, timeout=60):
        kernel = os.path.join(BUILD, arch, "guests", "testguest.bin")
        assert os.path.isfile(kernel), "run `make ARCH=... test-guests` first"
        cfgs = []
        for name, args, keys in specs:
            lines = [f'name = "{name}"', f'kernel = "{kernel}"', "memory = 16", "stubdom = 0",
                     f'extra = "{args}"'] + [f"{k} = {v}" for k, v in keys.items()]
            path = tmp_path / f"{name}.cfg"
            path.write_text("\n".join(lines) + "\n")
            cfgs.append(str(path))
        log = os.path.join(LOG_DIR, re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name) + ".log")
        os.makedirs(LOG_DIR, exist_ok=True)
        argv = [sys.executable, BH_BOOT, "--arch", arch, "--smp", str(smp), "--timeout",
                str(timeout), "--log", log]
        if append:
            argv += ["--append", append]
        proc = subprocess.run(argv + cfgs, capture_output=True, text=True, timeout=timeout + 60)
        return Run(proc, log)

    return _run


def hog_args(**kw):
    args = {"from_ms": FROM_MS, "ms": WINDOW_MS}
    args.update(kw)
    return "test=cpuhog " + " ".join(f"{k}={v}" for k, v in args.items())


def assert_clean(r):
    assert r.status == 0, f"bh-boot exit {r.status}; log {r.log}"
    assert "bulkhead: PANIC" not in r.output
    assert "FAIL" not in r.output, r.log


@pytest.mark.parametrize("arch", ARCHES)
def test_weights_256_512_on_one_cpu(boot, arch):
    r = boot(arch, [("light", hog_args(), {"weight": "256", "cpus": '"0"'}),
                    ("heavy", hog_args(), {"weight": "512", "cpus": '"0"'})])
    assert_clean(r)
    light, heavy = r.hogs("light")[0], r.hogs("heavy")[0]
    ratio = heavy[0] / max(light[0], 1)
    print(f"{arch}: weights 256:512 on CPU0: running {light[0]} ms : {heavy[0]} ms "
          f"= 1:{ratio:.3f}")
    assert 1.8 <= ratio <= 2.2, (light, heavy, r.log)
    # Pinned to CPU 0, which they keep busy between them; runstates add up.
    assert light[0] + heavy[0] >= 0.9 * WINDOW_MS
    for run, wait, blk, win in (light, heavy):
        assert abs(run + wait + blk - win) <= 0.05 * win + 5


@pytest.mark.parametrize("arch", ARCHES)
def test_cap_25_percent(boot, arch):
    r = boot(arch, [("capped", hog_args(), {"cap": "25", "cpus": '"1"'}),
                    ("hog", hog_args(), {"cpus": '"1"'})], append="sched_slice_us=5000")
    assert_clean(r)
    assert "sched: fair (weights, caps, affinity, balancing), slice 5000 us" in r.output
    capped, hog = r.hogs("capped")[0], r.hogs("hog")[0]
    share = capped[0] / capped[3]
    print(f"{arch}: cap 25: {100 * share:.1f}% of CPU1; its neighbour "
          f"{100 * hog[0] / hog[3]:.1f}%")
    assert 0.20 <= share <= 0.30, (capped, r.log)
    assert hog[0] / hog[3] >= 0.65, (hog, r.log)


@pytest.mark.parametrize("arch", ARCHES)
def test_eight_vcpus_on_two_cpus(boot, arch):
    r = boot(arch, [("eight", hog_args(vcpus=8), {"vcpus": "8"})])
    assert_clean(r)
    hogs = r.hogs("eight")
    assert sorted(hogs) == list(range(8)), (hogs, r.log)
    runs = [hogs[v][0] for v in range(8)]
    fair = 2 * WINDOW_MS / 8
    print(f"{arch}: 8 vCPUs on 2 CPUs: running {runs} ms (fair share {fair:.0f})")
    # Every vCPU makes progress, none is starved, and both CPUs are used.
    assert min(runs) >= 0.5 * fair, (runs, r.log)
    assert sum(runs) >= 0.85 * 2 * WINDOW_MS, (runs, r.log)


@pytest.mark.parametrize("arch", ARCHES)
def test_blocked_guest_leaves_its_cpu(boot, arch):
    # An idle guest (SCHEDOP_block with its singleshot timer every 20 ms) next to a hog on
    # the same CPU: the hog gets nearly all of it.
    r = boot(arch, [("idle", hog_args(idle=1), {"cpus": '"0"', "weight": "4096"}),
                    ("busy", hog_args(), {"cpus": '"0"'})])
    assert_clean(r)
    idle, busy = r.hogs("idle")[0], r.hogs("busy")[0]
    print(f"{arch}: idle guest ran {idle[0]} ms, blocked {idle[2]} ms; its neighbour "
          f"{100 * busy[0] / busy[3]:.1f}%")
    assert busy[0] / busy[3] >= 0.95, (busy, idle, r.log)
    assert idle[2] >= 0.9 * idle[3], (idle, r.log)


@pytest.mark.parametrize("arch", ARCHES)
def test_null_scheduler_partitions(boot, arch):
    r = boot(arch, [("p0", hog_args(ms=1000), {}), ("p1", hog_args(ms=1000), {}),
                    ("p2", "test=spin n=1000", {})], append="sched=null")
    # The third vCPU has no pCPU of its own: refused, the others run alone on theirs.
    assert r.status == 5, f"bh-boot exit {r.status} (want 5: a domain refused); log {r.log}"
    assert "sched: null (static partitioning" in r.output
    assert re.search(r"sched=null: d\d+ vCPU0: no free pCPU in its affinity", r.output), r.log
    cpus = set()
    for name in ("p0", "p1"):
        run, wait, blk, win = r.hogs(name)[0]
        assert run >= 0.97 * win, (name, run, win, r.log)
        cpus.add(re.search(rf"^bulkhead: d{r.domid(name)} vCPU0 on CPU(\d)$", r.output,
                           re.M).group(1))
    assert cpus == {"0", "1"}


@pytest.mark.parametrize("arch", ARCHES)
def test_bad_sched_options_keep_the_defaults(boot, arch):
    r = boot(arch, [("s", "test=spin n=1000", {})], append="sched=rtds sched_slice_us=5")
    assert_clean(r)
    assert "bulkhead: sched=rtds: unknown (fair, credit, credit2 or null); keeping fair" \
        in r.output
    assert "bulkhead: sched_slice_us=5: must be 100..1000000; keeping 10000" in r.output
    assert "sched: fair (weights, caps, affinity, balancing), slice 10000 us" in r.output
    assert "PASS spin" in r.output
