#!/bin/sh
# What the clean-up leaves: one line per path, present or absent, and the sizes of files it empties.
for p in /etc/strata/bake.env /var/lib/strata-bake /root/.ansible /var/lib/cloud/instance \
  /etc/ssh/ssh_host_ed25519_key /etc/ssh/ssh_host_ed25519_key.pub /etc/ssh/sshd_config.d/strata-test.conf \
  /var/lib/dbus/machine-id /root/.ssh/authorized_keys /home/strata-test/.ssh/authorized_keys \
  /root/.bash_history /home/strata-test/.bash_history /var/lib/apt/lists/strata-test_Packages \
  /var/tmp/strata-test /var/log/strata-test.log.1 /var/log/strata-test.log.2.gz /var/log/journal/strata-test \
  /etc/strata-test-kept; do
  if [ -e "$p" ]; then echo "present $p"; else echo "absent $p"; fi
done
for f in /etc/machine-id /var/log/strata-test.log; do echo "size $f $(stat -c %s "$f")"; done
