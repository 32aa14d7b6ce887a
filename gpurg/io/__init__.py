"""Files: HDF5 run files written atomically (:mod:`gpurg.io.hdf5`), checks of configurations
read from them (:mod:`gpurg.io.validate`). Pictures are :mod:`gpurg.figures`'."""

from gpurg.io.hdf5 import Run, RunWriter, atomic_output, read_run, read_state
from gpurg.io.validate import check_run, read_checked

__all__ = ["Run", "RunWriter", "atomic_output", "check_run", "read_checked", "read_run",
           "read_state"]
