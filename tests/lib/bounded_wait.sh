# Sourced by the root tests that run daemons: every wait is a bounded poll on state.
# wait_for SECONDS WHAT COMMAND...: polls COMMAND until it succeeds; after SECONDS calls the
# caller's fail() with "timed out ... waiting for WHAT".
# exited PID: true once PID is gone or a zombie.
wait_for() {
  local seconds=$1 what=$2
  shift 2
  local deadline=$((SECONDS + seconds))
  until "$@"; do
    ((SECONDS < deadline)) || fail "timed out after ${seconds}s waiting for $what"
    sleep 0.05 # poll interval; the condition above is what we wait for
  done
}
exited() {
  local state
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 0
  [[ -z $state || $state == Z ]]
}
