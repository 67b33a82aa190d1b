"""The patches of ``docs/upstream/`` apply to the pinned releases and do what they say.

Each patch is against the release's source distribution (``src/`` and ``tests/``;
``docs/upstream.md`` gives the library's own test counts before and after). Here, where
that source may not be at hand, the ``src/`` part is applied to a scratch copy of the
installed package (the same pinned version), and the changed behaviour is checked in a
fresh interpreter that imports the patched copy.
"""

import importlib.util
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PATCHES = Path(__file__).resolve().parent.parent / "docs" / "upstream"


def source_part(patch_text):
    """The hunks of ``patch_text`` that change ``src/`` (the tests' are left out)."""
    files = patch_text.split("--- a/")
    return "".join("--- a/" + f for f in files[1:] if f.startswith("src/"))


def patched_copy(package, patch, folder):
    """A copy of the installed ``package`` in ``folder``, with ``patch``'s src part applied."""
    installed = Path(importlib.util.find_spec(package).origin).parent
    shutil.copytree(installed, folder / package, ignore=shutil.ignore_patterns("__pycache__"))
    diff = source_part((PATCHES / patch).read_text())
    done = subprocess.run(["patch", "-p2", "-d", str(folder), "--forward"], input=diff,
                          text=True, capture_output=True)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return folder


def run_with(folder, code):
    """Run ``code`` in a new interpreter that imports the packages of ``folder`` first."""
    program = f"import sys; sys.path.insert(0, {str(folder)!r})\n" + textwrap.dedent(code)
    done = subprocess.run([sys.executable, "-c", program], text=True, capture_output=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.skipif(shutil.which("patch") is None, reason="needs the patch program")
def test_the_python_engineio_patch_advertises_exact_ms_answers_ok_and_400(tmp_path):
    folder = patched_copy("engineio", "python-engineio-4.15.1-handshake-and-answers.patch",
                          tmp_path)  # fmt: skip
    out = run_with(
        folder,
        """
        import engineio, json
        assert engineio.__file__.startswith(sys.path[0]), engineio.__file__
        s = engineio.Server(ping_interval=0.3, ping_timeout=0.2)
        answer = []
        start = lambda status, headers: answer.append(status)
        body = s.handle_request({"REQUEST_METHOD": "GET", "QUERY_STRING": "EIO=4"}, start)
        handshake = json.loads(body[0].decode()[1:])
        s.handle_request({"REQUEST_METHOD": "PUT", "QUERY_STRING": "EIO=4"}, start)
        print(handshake["pingInterval"], s._ok()["response"].decode(), answer[-1])
    """,
    )
    assert out == "300 ok 400 BAD REQUEST"


@pytest.mark.skipif(shutil.which("patch") is None, reason="needs the patch program")
def test_the_python_socketio_patch_refuses_an_unknown_namespace_as_node_does(tmp_path):
    folder = patched_copy("socketio", "python-socketio-5.18.1-invalid-namespace.patch",
                          tmp_path)  # fmt: skip
    out = run_with(
        folder,
        """
        import socketio
        assert socketio.__file__.startswith(sys.path[0]), socketio.__file__
        s = socketio.Server()
        sent = []
        s.eio.send = lambda sid, data: sent.append(data)
        s._handle_eio_connect("123", {})
        s._handle_eio_message("123", "0/nope,")
        print(sent[-1])
    """,
    )
    assert out == '4/nope,{"message":"Invalid namespace"}'
