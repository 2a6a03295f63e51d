"""``set_num_threads``/``get_num_threads``: the threads of the BLAS and OpenMP libraries NumPy uses.

chainrule's own Python code runs on one thread; the time goes into NumPy's BLAS (matmul,
convolution as matmul), whose thread pools ``threadpoolctl`` (an optional extra) controls.
"""
import numbers

from ._errors import at_user_line

_limits = None  # the threadpoolctl limiter in force, kept so that a later call can replace it


def _threadpoolctl():
    try:
        import threadpoolctl
    except ImportError:
        raise ImportError("set_num_threads and get_num_threads need the optional package 'threadpoolctl': "
                          "pip install threadpoolctl") from None
    return threadpoolctl


def set_num_threads(num_threads):
    """Use ``num_threads`` threads in every BLAS and OpenMP pool loaded in this process."""
    global _limits
    if isinstance(num_threads, bool) or not isinstance(num_threads, numbers.Integral) or num_threads < 1:
        raise ValueError(at_user_line(
            f"set_num_threads expects a positive integer, got {num_threads!r}"))
    threadpoolctl = _threadpoolctl()
    if _limits is not None:
        _limits.restore_original_limits()
    _limits = threadpoolctl.threadpool_limits(limits=int(num_threads))


def get_num_threads():
    """The number of threads the BLAS library uses (the largest pool, if several are loaded)."""
    pools = _threadpoolctl().threadpool_info()
    blas = [pool["num_threads"] for pool in pools if pool.get("user_api") == "blas"]
    return max(blas or [pool["num_threads"] for pool in pools] or [1])
