"""One BLAS thread unless the operator chose otherwise; imported before anything loads numpy.

The intent encoder's products are small (a sentence's tokens by 384); OpenBLAS would still
run each on a thread per core, and on a busy host those threads wait behind the server's own
(measured on 2 shared cores: a question's encoding took a median 70 ms and up to 566 ms with
them, 9 ms and at most 18 ms with one). `OPENBLAS_NUM_THREADS` set beforehand is kept.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
