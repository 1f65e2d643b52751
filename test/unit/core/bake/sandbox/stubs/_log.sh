# Sourced by the stubs: the scenario's settings, and a record of the call (its name and arguments).
[ -f /strata-stubs/scenario ] && . /strata-stubs/scenario
echo "$(basename "$0") $*" >>/strata-out/calls
