"""Peak resident memory and CPU time of a Dask worker process over a window:
a thread samples the RSS every 10 ms between start() and stop(); the CPU
time (user + system, all threads) is the difference of the two, also split
into the threads that run tasks ("Dask-Default-Threads…") and the others (the
worker's event loop, communications, this sampler) (run on each worker with
Client.run)."""

import threading
import time

import psutil

_state = {}


def start():
    proc = psutil.Process()
    stop = threading.Event()
    peak = [proc.memory_info().rss]
    base = peak[0]

    def loop():
        while not stop.is_set():
            peak[0] = max(peak[0], proc.memory_info().rss)
            time.sleep(0.01)

    th = threading.Thread(target=loop, daemon=True)
    th.start()
    cpu = proc.cpu_times()
    _state.update(stop=stop, peak=peak, base=base, thread=th, proc=proc, cpu=cpu.user + cpu.system, task=_task_cpu(proc))
    return base


def _task_cpu(proc):
    """CPU seconds so far of the threads that run Dask tasks."""
    tasks = {t.native_id for t in threading.enumerate() if t.name.startswith("Dask-Default-Threads")}
    return sum(t.user_time + t.system_time for t in proc.threads() if t.id in tasks)


def stop():
    _state["stop"].set()
    _state["thread"].join()
    cpu = _state["proc"].cpu_times()
    return {
        "base": _state["base"],
        "peak": _state["peak"][0],
        "cpu_s": cpu.user + cpu.system - _state["cpu"],
        "task_cpu_s": _task_cpu(_state["proc"]) - _state["task"],
    }
