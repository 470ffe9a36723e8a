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
from urllib.parse import quote

import pylxd

from bench_protocol import serve


class PyLXD:
    def __init__(self, socket_path, exec_instance, create_name):
        self.client = pylxd.Client(endpoint="http+unix://" + quote(socket_path, safe=""))
        self.instance = self.client.instances.get(exec_instance)
        self.config = {"name": create_name, "source": {"type": "image", "alias": "busybox"}}

    def list(self, count):
        for _ in range(count):
            self.client.instances.all()

    def state(self, count):
        for _ in range(count):
            self.instance.state()

    def exec(self, count):
        for _ in range(count):
            result = self.instance.execute(["/bin/true"])
            if result.exit_code != 0:
                raise RuntimeError(f"/bin/true returned {result.exit_code}")

    def create_delete(self, count):
        for _ in range(count):
            instance = self.client.instances.create(self.config, wait=True)
            instance.delete(wait=True)


if __name__ == "__main__":
    side = PyLXD(*sys.argv[1:4])
    serve({"list": side.list, "state": side.state, "exec": side.exec, "create_delete": side.create_delete})
