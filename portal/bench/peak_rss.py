"""`python portal/bench/peak_rss.py OUT COMMAND…`: run COMMAND and write its peak resident memory
(KiB) to OUT; the exit status is COMMAND's.

Linux counts in a child's maximum resident set the memory of the process it was forked from, as
it stood at exec: a child of the benchmark (hundreds of MB once it has generated a register) would
report at least that. Run by path, so that nothing of the portal is loaded here, this small process
is the one COMMAND is forked from.
"""

import os
import subprocess  # nosec B404
import sys


def main() -> int:
    out, *command = sys.argv[1:]
    process = subprocess.Popen(command)  # nosec B603
    _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    with open(out, "w") as file:
        file.write(str(usage.ru_maxrss))
    return process.returncode


if __name__ == "__main__":
    sys.exit(main())
