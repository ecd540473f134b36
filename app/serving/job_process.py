"""A training job's own process: the live trainer (app/training/live.py) beside the worker, never inside it.

A thread would share the worker's interpreter lock with every keystroke's trace (NumPy's small matrix products
at H = 16 hold it most of the time), so each running job is a process of its own (`spawn`: a fresh interpreter,
no threads or locks copied from the worker), one BLAS thread, at a lower CPU priority than the worker (the
kernel runs the keystrokes first, as for the large lane). It writes its events to a pipe as they happen:

    ("event", kind, data)   progress and snapshot events, as app/training/live.py emits them
    ("stopped", state)      asked to stop (the `stop` Event): its RunState, to resume from
    ("finished", result)    {"tensors": the final parameters, "step", "wall_time_s", "accuracy"}
    ("error", message)      anything else went wrong

and exits. The worker reads the pipe in a thread (app/serving/jobs.py) and ends the process to cancel a job.
"""

from __future__ import annotations

import os
import traceback

JOB_NICENESS = 10  # below the worker's priority: keystrokes first, training in the CPU time left


def main(config: dict, state, conn, stop) -> None:
    """The process's body: train from `state` (None: from the start) and report through `conn`."""
    try:
        os.nice(JOB_NICENESS)
    except OSError:
        pass
    try:
        from threadpoolctl import threadpool_limits

        from app.training.live import LiveConfig, Trainer, initial_state, run

        live = LiveConfig(**config)
        with threadpool_limits(1):  # one BLAS thread: the same summation order, the same weights, every run
            trainer = Trainer(live)
            state = state if state is not None else initial_state(live)
            done = run(live, state, lambda kind, data: conn.send(("event", kind, data)), stop.is_set, trainer)
            if not done:
                conn.send(("stopped", state))
                return
            accuracy = {str(d): a for d, a in trainer.accuracy(state.params).items()}
        conn.send(("finished", {"tensors": state.params, "step": state.step, "wall_time_s": round(state.wall_time, 2),
                                "accuracy": accuracy}))
    except (BrokenPipeError, EOFError):  # the worker went away: nobody to report to
        pass
    except Exception as e:  # noqa: BLE001 - reported to the job's listeners, not lost in a child's stderr
        traceback.print_exc()
        try:
            conn.send(("error", f"{type(e).__name__}: {e}"))
        except OSError:
            pass
    finally:
        conn.close()
