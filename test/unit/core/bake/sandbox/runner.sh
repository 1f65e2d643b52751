#!/bin/sh
# Runs a generated run.sh in a throw-away copy of this machine's root, started as
#   unshare --mount --fork sh runner.sh <stage> <out> <empty dir>
# A private mount namespace, an overlay over / whose writes land in a tmpfs, a chroot into it: what
# run.sh removes or empties is removed in the overlay only, and all of it is gone when this exits.
# <stage> is copied over the root first (the user data's files, the stubs in /strata-stubs and the
# files the clean-up should take); <out> is mounted at /strata-out for what the stubs and checks write;
# the empty directory holds the overlay (a tmpfs mounted on it in the namespace only).
set -eu
stage=$1
out=$2
root=$3
mount -t tmpfs strata-sandbox "$root"
mkdir "$root/upper" "$root/work" "$root/merged"
mount -t overlay overlay -o "lowerdir=/,upperdir=$root/upper,workdir=$root/work" "$root/merged"
m=$root/merged
mount --rbind /dev "$m/dev"
mount -t proc proc "$m/proc"
mount -t tmpfs tmpfs "$m/run"
mount -t tmpfs tmpfs "$m/tmp"
mkdir -p "$m/strata-out"
mount --bind "$out" "$m/strata-out"
cp -a "$stage/." "$m/"
status=0
chroot "$m" /usr/bin/env -i PATH=/strata-stubs:/usr/sbin:/usr/bin:/sbin:/bin /bin/sh /var/lib/strata-bake/run.sh >"$out/output" 2>&1 || status=$?
echo "$status" >"$out/exit"
chroot "$m" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin /bin/sh /strata-stubs/state.sh >"$out/state"
