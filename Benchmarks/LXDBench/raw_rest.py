"""The raw-REST floor of lxd-bench: the requests the Swift client sends, from Python's
http.client over LXD's unix socket, on one kept-alive connection.

    python3 raw_rest.py SOCKET EXEC_INSTANCE CREATE_NAME

Per scenario, exactly what Sources/LXD sends (and the JSON of each answer parsed, as the
client decodes it):
  list           GET /1.0/instances
  state          GET /1.0/instances/EXEC_INSTANCE/state
  exec           POST /1.0/instances/EXEC_INSTANCE/exec (record-output, no websockets),
                 GET /1.0/operations/ID/wait?timeout=-1, then GET and DELETE of each log
  create_delete  POST /1.0/instances (busybox image), GET /1.0/operations/ID/wait?timeout=-1,
                 DELETE /1.0/instances/CREATE_NAME, GET /1.0/operations/ID/wait?timeout=-1
Commands come on standard input (bench_protocol.py).
"""

import http.client
import json
import socket
import sys
from urllib.parse import quote

from bench_protocol import serve


class UnixConnection(http.client.HTTPConnection):
    """An HTTP/1.1 connection over a unix socket; http.client keeps it alive between requests."""

    def __init__(self, path):
        super().__init__("lxd")
        self.socket_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.socket_path)


class Raw:
    def __init__(self, socket_path, exec_instance, create_name):
        self.connection = UnixConnection(socket_path)
        self.instance = "/1.0/instances/" + quote(exec_instance, safe="")
        self.create_name = create_name
        self.create_body = json.dumps({
            "name": create_name, "type": "container",
            "source": {"type": "image", "alias": "busybox"},
        }).encode()
        self.exec_body = json.dumps({
            "command": ["/bin/true"], "environment": {}, "interactive": False,
            "wait-for-websocket": False, "record-output": True,
        }).encode()

    def request(self, method, path, body=None):
        """One request (Host: lxd, as the client sends it); the status and the body's bytes."""
        headers = {"Host": "lxd"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        data = response.read()
        if not 200 <= response.status < 300:
            raise RuntimeError(f"{method} {path}: {response.status} {data[:200]!r}")
        return data

    def metadata(self, method, path, body=None):
        return json.loads(self.request(method, path, body))["metadata"]

    def perform(self, method, path, body=None):
        """A request that starts an operation, then its wait; the operation's metadata."""
        started = json.loads(self.request(method, path, body))
        if started.get("type") != "async":
            return started.get("metadata")
        operation = self.metadata("GET", "/1.0/operations/" + quote(started["metadata"]["id"], safe="") + "/wait?timeout=-1")
        if operation["status"] != "Success":
            raise RuntimeError(f"{method} {path}: {operation.get('err')}")
        return operation.get("metadata")

    def list(self, count):
        for _ in range(count):
            self.metadata("GET", "/1.0/instances")

    def state(self, count):
        for _ in range(count):
            self.metadata("GET", self.instance + "/state")

    def exec(self, count):
        for _ in range(count):
            result = self.perform("POST", self.instance + "/exec", self.exec_body)
            if result.get("return") != 0:
                raise RuntimeError(f"/bin/true returned {result.get('return')}")
            for log in (result.get("output") or {}).values():
                self.request("GET", log)
                self.request("DELETE", log)

    def create_delete(self, count):
        path = "/1.0/instances/" + quote(self.create_name, safe="")
        for _ in range(count):
            self.perform("POST", "/1.0/instances", self.create_body)
            self.perform("DELETE", path)


if __name__ == "__main__":
    raw = Raw(*sys.argv[1:4])
    serve({"list": raw.list, "state": raw.state, "exec": raw.exec, "create_delete": raw.create_delete})
