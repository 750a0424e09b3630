"""Record every distinct process command line seen on this host, until stopped.

Molecule's prepare step starts it where kafkaops_argv_sampler is true; the
verifier then greps the record for passwords, salts and salted passwords.
Sampling every 0.1 s catches any JVM (a format or a tool run lasts seconds).
"""

import os
import sys
import time

record_path = sys.argv[1]
seen: set[str] = set()
with open(record_path, "a", encoding="utf-8") as record:
    while True:
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                    raw = cmdline.read().replace(b"\0", b" ").replace(b"\n", b"\\n")
                    line = raw.decode(errors="replace").strip()
            except OSError:
                continue
            if line and line not in seen:
                seen.add(line)
                record.write(line + "\n")
                record.flush()
        time.sleep(0.1)
