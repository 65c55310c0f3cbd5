"""Raw HTTP/1.1 over one socket: to see whether a keep-alive connection survives an answer."""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass, field


@dataclass
class Answer:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def json(self) -> dict[str, object]:
        data = json.loads(self.body)
        assert isinstance(data, dict)
        return data


class RawConnection:
    """One TCP connection; `request` sends one request and reads one full answer."""

    def __init__(self, host: str, port: int, *, timeout: float = 30) -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buffer = b""
        self.host = f"{host}:{port}"

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> RawConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def request(
        self,
        method: str,
        target: bytes | str,
        *,
        headers: dict[str, str] | None = None,
        body: bytes = b"",
    ) -> Answer:
        """Raises ConnectionError if the server dropped the connection."""
        if isinstance(target, str):
            target = target.encode()
        lines = [method.encode() + b" " + target + b" HTTP/1.1"]
        all_headers = {"host": self.host, **(headers or {})}
        if body or method in ("POST", "PUT", "PATCH"):
            all_headers.setdefault("content-length", str(len(body)))
        lines += [f"{k}: {v}".encode() for k, v in all_headers.items()]
        self.send(b"\r\n".join(lines) + b"\r\n\r\n" + body)
        return self.read_answer(head=method == "HEAD")

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        self.buffer += chunk

    def _line(self) -> bytes:
        while b"\r\n" not in self.buffer:
            self._fill()
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line

    def _exactly(self, n: int) -> bytes:
        while len(self.buffer) < n:
            self._fill()
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def read_answer(self, *, head: bool = False) -> Answer:
        status_line = self._line()
        answer = Answer(status=int(status_line.split()[1]))
        while line := self._line():
            name, _, value = line.decode("latin-1").partition(":")
            answer.headers[name.strip().lower()] = value.strip()
        if head:
            return answer
        if answer.headers.get("transfer-encoding") == "chunked":
            body = b""
            while size := int(self._line().split(b";")[0], 16):
                body += self._exactly(size)
                self._line()
            self._line()
            answer.body = body
        else:
            answer.body = self._exactly(int(answer.headers.get("content-length", "0")))
        return answer
