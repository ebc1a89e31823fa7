#!/bin/sh
# Runs a command under the restrictions of packaging/systemd/nvgred.service where systemd is not
# PID 1 (the test containers): run it in a new mount namespace,
#
#   unshare --mount --propagation private sh unit_sandbox.sh RUNTIME_DIR KEEP_DIR -- nvgred ...
#
# and it applies, with mount(8) and setpriv(1):
#   ProtectSystem=strict      every mount read-only except the API file systems /dev, /proc, /sys
#   ProtectKernelTunables=yes /proc/sys and /sys read-only too
#   ProtectHome=yes           empty read-only tmpfs over /home, /root and /run/user
#   PrivateTmp=yes            fresh tmpfs on /tmp and /var/tmp (KEEP_DIR, the test's own files,
#                             bound back at its path: the real unit reads /etc/nvgred instead)
#   RuntimeDirectory=nvgred   RUNTIME_DIR the one writable place (the control socket)
#   UMask=0077
#   CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW, AmbientCapabilities= (none), no inheritable
#   capabilities, NoNewPrivileges=yes
# and execs the command (same PID: the caller's process becomes it). Not applied (seccomp or
# cgroups, which need systemd): RestrictAddressFamilies, SystemCallFilter,
# SystemCallArchitectures, MemoryDenyWriteExecute, LockPersonality, RestrictNamespaces,
# RestrictRealtime, RestrictSUIDSGID, DevicePolicy/DeviceAllow, ProtectKernelModules/Logs,
# ProtectClock, ProtectHostname, ProtectControlGroups (read-only with /sys here).
# A mount that cannot be made read-only is reported on stderr and fails the start.
set -eu
run_dir=$1
keep=$2
shift 3  # RUNTIME_DIR KEEP_DIR --

# PrivateTmp: hold the test's directory open before /tmp is replaced.
exec 9<"$keep"

# ProtectSystem=strict + ProtectKernelTunables: read-only everywhere but /dev and /proc (and
# /proc/sys read-only too).
mount --bind /proc/sys /proc/sys
awk '{print $5}' /proc/self/mountinfo | sort -u | while read -r mp; do
  case "$mp" in
    /dev|/dev/*|/proc|/proc/*) continue ;;
  esac
  if ! mount -o remount,bind,ro "$mp"; then
    echo "unit_sandbox: cannot make $mp read-only" >&2
    exit 1
  fi
done
mount -o remount,bind,ro /proc/sys

# ProtectHome=yes
for d in /home /root /run/user; do
  if [ -d "$d" ]; then mount -t tmpfs -o ro,mode=0755,size=16k tmpfs "$d"; fi
done

# PrivateTmp=yes, then the test's files back at their path (read-only).
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=1777 tmpfs /var/tmp
mkdir -p "$keep"
mount --no-canonicalize --bind /proc/self/fd/9 "$keep"
mount -o remount,bind,ro "$keep"
exec 9<&-

# RuntimeDirectory=nvgred: writable.
mount --bind "$run_dir" "$run_dir"
mount -o remount,bind,rw "$run_dir"

umask 0077
exec setpriv --no-new-privs --bounding-set -all,+net_admin,+net_raw --inh-caps -all \
  --ambient-caps -all -- "$@"
