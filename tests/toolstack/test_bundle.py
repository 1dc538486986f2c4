# SPDX-License-Identifier: MIT
"""dom0-lite's boot bundle (toolstack/bhboot/bundle.py, docs/dom0-lite.md): the cpio newc
layout dom0-lite's reader expects, configs rewritten to the files' names in the bundle,
and the errors for a missing file, a name clash and an unknown autostart name."""
import pytest

from bhboot import bundle
from bhboot.xlcfg import ConfigError


def _read_cpio(data):
    """{name: bytes} of a newc archive, checking the layout as dom0-lite's reader does."""
    out, off = {}, 0
    while True:
        assert data[off:off + 6] == b"070701"
        f = [int(data[off + 6 + 8 * i:off + 14 + 8 * i], 16) for i in range(13)]
        size, namesize = f[6], f[11]
        name = data[off + 110:off + 110 + namesize - 1].decode()
        assert data[off + 110 + namesize - 1] == 0
        start = (off + 110 + namesize + 3) & ~3
        if name == "TRAILER!!!":
            assert start == len(data) or data[start:].strip(b"\0") == b""
            return out
        assert f[1] == 0o100644
        out[name] = data[start:start + size]
        off = (start + size + 3) & ~3


def test_bundle_layout(tmp_path):
    (tmp_path / "k").mkdir()
    (tmp_path / "k" / "Image").write_bytes(b"KERNEL" * 100)
    (tmp_path / "rd.cpio").write_bytes(b"RD")
    stub = tmp_path / "stub.bin"
    stub.write_bytes(b"STUB")
    cfg = tmp_path / "web.cfg"
    cfg.write_text('name = "web"\nkernel = "k/Image"   # the kernel\n'
                   "ramdisk = 'rd.cpio'\nmemory = 16\n")
    other = tmp_path / "db.cfg"
    other.write_text(f'name = "db"\nkernel = "{tmp_path}/k/Image"\nmemory = 8\n')
    out = tmp_path / "b.cpio"
    size = bundle.write_bundle(str(out), [str(cfg), str(other)], ["web"], str(stub))
    data = out.read_bytes()
    assert size == len(data) and size % 4 == 0
    files = _read_cpio(data)
    assert set(files) == {"configs/web.cfg", "configs/db.cfg", "Image", "rd.cpio", "stub.bin",
                          "autostart"}
    assert files["configs/web.cfg"].decode() == ('name = "web"\nkernel = "Image"   # the kernel\n'
                                                 'ramdisk = "rd.cpio"\nmemory = 16\n')
    assert b'kernel = "Image"' in files["configs/db.cfg"]
    assert files["Image"] == b"KERNEL" * 100
    assert files["autostart"] == b"web\n"
    assert files["stub.bin"] == b"STUB"


def test_bundle_errors(tmp_path):
    stub = tmp_path / "stub.bin"
    stub.write_bytes(b"S")
    missing = tmp_path / "m.cfg"
    missing.write_text('name = "m"\nmemory = 4\nkernel = "nothere"\n')
    with pytest.raises(ConfigError, match=r"m\.cfg:3: key 'kernel': 'nothere': no such file"):
        bundle.bundle_files([str(missing)], [], str(stub))
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "Image").write_bytes(b"A")
    (tmp_path / "b" / "Image").write_bytes(b"B")
    c1, c2 = tmp_path / "c1.cfg", tmp_path / "c2.cfg"
    c1.write_text('kernel = "a/Image"\n')
    c2.write_text('kernel = "b/Image"\n')
    with pytest.raises(ConfigError, match="another file named 'Image'"):
        bundle.bundle_files([str(c1), str(c2)], [], str(stub))
    with pytest.raises(ConfigError, match="'zz' is not a config in the bundle"):
        bundle.bundle_files([str(c1)], ["zz"], str(stub))
    bad = tmp_path / "bad name.cfg"
    bad.write_text("")
    with pytest.raises(ConfigError, match="a bundle config's file name"):
        bundle.bundle_files([str(bad)], [], str(stub))


def test_bundle_named_by_name_key(tmp_path):
    stub = tmp_path / "stub.bin"
    stub.write_bytes(b"S")
    (tmp_path / "K").write_bytes(b"K")
    a, b = tmp_path / "uart-aarch64.cfg", tmp_path / "other.cfg"
    a.write_text('name = "uart"  # the guest\nkernel = "K"\n')
    b.write_text("name = 'uart'\nkernel = \"K\"\n")
    files = bundle.bundle_files([str(a)], ["uart"], str(stub))
    assert "configs/uart.cfg" in files
    with pytest.raises(ConfigError, match="a second config named 'uart'"):
        bundle.bundle_files([str(a), str(b)], [], str(stub))


def test_bundle_boot_time_guests(tmp_path):
    """bh-boot --dom0: each boot-time guest's config and files under boot/, for its on_*
    policy and restart; stubs and other roles have no policy of their own: left out."""
    (tmp_path / "Image").write_bytes(b"K")
    (tmp_path / "g.bin").write_bytes(b"G")
    stub = tmp_path / "stub.bin"
    stub.write_bytes(b"S")
    web = tmp_path / "web.cfg"
    web.write_text('name = "web"\nkernel = "Image"\nmemory = 8\non_reboot = "restart"\n')
    echo = tmp_path / "echo.cfg"
    echo.write_text(f'name = "echo"\nkernel = "{tmp_path}/g.bin"\nmemory = 4\n'
                    'role = "guest"\n')
    dm = tmp_path / "dm.cfg"
    dm.write_text('name = "web-dm"\nkernel = "g.bin"\nrole = "stub"\nstub_of = "web"\n')
    files = bundle.bundle_files([str(web)], [], str(stub), [str(web), str(echo), str(dm)])
    assert set(files) == {"configs/web.cfg", "boot/web.cfg", "boot/echo.cfg", "boot/web.stub",
                          "Image", "g.bin", "stub.bin", "autostart"}
    assert files["boot/web.stub"] == b"web-dm"
    assert files["boot/web.cfg"] == files["configs/web.cfg"]
    assert b'kernel = "g.bin"' in files["boot/echo.cfg"]
    with pytest.raises(ConfigError, match="a second config named 'web'"):
        bundle.bundle_files([], [], str(stub), [str(web), str(web)])
