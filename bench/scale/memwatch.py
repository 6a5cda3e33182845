"""Peak resident memory and CPU time of a Dask worker process over a window
(run on each worker with Client.run): start() resets the kernel's high-water
mark of the process's RSS (VmHWM in /proc/self/status, reset by writing 5 to
/proc/self/clear_refs), stop() reads it: the exact peak, with nothing running
in the worker meanwhile. Where the reset is not allowed, a thread samples the
RSS every 10 ms instead (it takes the GIL 100 times a second, and its CPU
counts among the worker's other threads). The CPU time (user + system, all
threads) is the difference of the two, also split into the threads that run
tasks ("Dask-Default-Threads…") and the others (the worker's event loop,
communications)."""

import threading
import time

import psutil

_state = {}


def _hwm():
    """The process's peak RSS in bytes since start or the last reset (VmHWM), or None."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _reset_hwm():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return False
    return True


def start():
    proc = psutil.Process()
    base = proc.memory_info().rss
    _state.update(proc=proc, base=base, thread=None)
    if not (_reset_hwm() and _hwm() is not None):
        stop = threading.Event()
        peak = [base]

        def loop():
            while not stop.is_set():
                peak[0] = max(peak[0], proc.memory_info().rss)
                time.sleep(0.01)

        th = threading.Thread(target=loop, daemon=True)
        th.start()
        _state.update(stop=stop, peak=peak, thread=th)
    cpu = proc.cpu_times()
    _state.update(cpu=cpu.user + cpu.system, task=_task_cpu(proc))
    return base


def _task_cpu(proc):
    """CPU seconds so far of the threads that run Dask tasks."""
    tasks = {t.native_id for t in threading.enumerate() if t.name.startswith("Dask-Default-Threads")}
    return sum(t.user_time + t.system_time for t in proc.threads() if t.id in tasks)


def stop():
    cpu = _state["proc"].cpu_times()
    task = _task_cpu(_state["proc"])
    if _state["thread"] is None:
        peak, how = _hwm(), "VmHWM"
    else:
        _state["stop"].set()
        _state["thread"].join()
        peak, how = _state["peak"][0], "sampled every 10 ms"
    return {
        "base": _state["base"],
        "peak": peak,
        "peak_from": how,
        "cpu_s": cpu.user + cpu.system - _state["cpu"],
        "task_cpu_s": task - _state["task"],
    }
