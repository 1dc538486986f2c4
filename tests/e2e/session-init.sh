#!/bin/sh
# SPDX-License-Identifier: MIT
# /init of the Linux guests in dom0-lite's sessions (docs/dom0-lite.md): Debian's
# busybox-static, a shell on the console (the stub domain's UART: ttyAMA0 / ttyS0).
# `bh_name=NAME` on the kernel command line becomes the host name, shown in the prompt.
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
name=linux
for a in $(cat /proc/cmdline); do
	case $a in bh_name=*) name=${a#bh_name=} ;; esac
done
hostname "$name"
echo "session: $name: busybox $(busybox | head -n1 | cut -d' ' -f2) shell on $(cat /sys/class/tty/console/active)"
export PS1='\h# ' HOME=/ PATH=/bin:/sbin:/usr/bin:/usr/sbin
# A controlling terminal (cttyhack) so the shell has job control and CTRL-c works; when
# the shell ends (exit), the guest powers off.
setsid cttyhack sh
poweroff -f
