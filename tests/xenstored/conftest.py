import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from xsclient import Client, Daemon  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("XSD_BIN", os.path.join(ROOT, "build", "host", "xenstored", "xenstored"))


@pytest.fixture
def daemon():
    d = Daemon(BIN)
    yield d
    alive = d.alive()
    d.close()
    assert alive, "xenstored died during the test"


@pytest.fixture
def client(daemon):
    c = Client(daemon.sock)
    yield c
    c.close()


@pytest.fixture
def xsenv(daemon):
    env = dict(os.environ)
    env["XENSTORED_PATH"] = daemon.sock
    return env
