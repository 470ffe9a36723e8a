"""The pylxd side of lxd-bench: the same scenarios through pylxd's Client over the unix socket.

    PYTHON_WITH_PYLXD pylxd_bench.py SOCKET EXEC_INSTANCE CREATE_NAME

  list           client.instances.all()
  state          instance.state()
  exec           instance.execute(["/bin/true"])   (pylxd's exec: websockets for the output)
  create_delete  client.instances.create({...busybox...}, wait=True), then .delete(wait=True)
Commands come on standard input (bench_protocol.py). pylxd installs from PyPI:
python3 -m venv .build-pylxd && .build-pylxd/bin/pip install pylxd
"""

import sys
import time
from urllib.parse import quote

import pylxd

from bench_protocol import serve


class PyLXD:
    def __init__(self, socket_path, exec_instance, create_name):
        self.client = pylxd.Client(endpoint="http+unix://" + quote(socket_path, safe=""))
        self.instance = self.client.instances.get(exec_instance)
        self.retries = 0
        self.config = {"name": create_name, "source": {"type": "image", "alias": "busybox"}}

    def list(self, count):
        for _ in range(count):
            self.client.instances.all()

    def state(self, count):
        for _ in range(count):
            self.instance.state()

    def exec(self, count):
        # pylxd's exec now and then fails with BrokenPipeError (its stdin websocket, written to
        # after /bin/true ended): such a call is tried again, and only the call that succeeded
        # is timed. The retries are counted on standard error.
        elapsed = 0
        for _ in range(count):
            for attempt in range(5):
                start = time.perf_counter_ns()
                try:
                    result = self.instance.execute(["/bin/true"])
                except BrokenPipeError:
                    self.retries += 1
                    print(f"pylxd_bench.py: exec retried after BrokenPipeError ({self.retries} so far)", file=sys.stderr)
                    if attempt == 4:
                        raise
                    continue
                elapsed += time.perf_counter_ns() - start
                break
            if result.exit_code != 0:
                raise RuntimeError(f"/bin/true returned {result.exit_code}")
        return elapsed

    def create_delete(self, count):
        for _ in range(count):
            instance = self.client.instances.create(self.config, wait=True)
            instance.delete(wait=True)


if __name__ == "__main__":
    side = PyLXD(*sys.argv[1:4])
    serve({"list": side.list, "state": side.state, "exec": side.exec, "create_delete": side.create_delete})
