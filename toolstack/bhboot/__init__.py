# SPDX-License-Identifier: MIT
"""bh-boot's library: xl.cfg parsing (xlcfg), guest layout and device trees (guestdt),
the host device tree with the dom0less domain nodes (hostdt), the command (cli)."""
