"""Peak resident memory and CPU time of a Dask worker process over a window:
a thread samples the RSS every 10 ms between start() and stop(); the CPU
time (user + system, all threads) is the difference of the two (run on each
worker with Client.run)."""

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
    _state.update(stop=stop, peak=peak, base=base, thread=th, proc=proc, cpu=cpu.user + cpu.system)
    return base


def stop():
    _state["stop"].set()
    _state["thread"].join()
    cpu = _state["proc"].cpu_times()
    return {"base": _state["base"], "peak": _state["peak"][0], "cpu_s": cpu.user + cpu.system - _state["cpu"]}
