# TAP for the bash suites (test/run runs every suite through prove).
# Source it, then report each check with
#
#   tap_result STATUS DESCRIPTION   "ok N - ..." if STATUS is 0, else "not ok N - ..."
#   tap_skip DESCRIPTION REASON     "ok N - ... # SKIP REASON"
#   tap_diag [TEXT]                 TEXT (or stdin) as "# ..." lines, for the reader
#
# and end the script with tap_done, which prints the plan "1..N" and
# returns 1 if any check failed.  Only tap_done prints the plan, so a
# script that dies on the way has none and prove reports it as failed.
# A script that reaches tap_done without a single check fails too.

tap_count=0
tap_failed=0

# One line per check: no newline inside, and a "#" cannot start a directive.
_tap_line() {
    local what=${2//$'\n'/ }
    tap_count=$((tap_count + 1))
    echo "$1 $tap_count - ${what//#/\\#}${3:+ # $3}"
}

tap_result() {
    if [ "$1" -eq 0 ] 2>/dev/null; then
        _tap_line ok "$2"
    else
        _tap_line "not ok" "$2"
        tap_failed=$((tap_failed + 1))
    fi
}

tap_skip() {
    _tap_line ok "$1" "SKIP ${2//#/}"
}

tap_diag() {
    if [ $# -gt 0 ]; then printf '%s\n' "$*"; else cat; fi | sed 's/^/# /'
}

tap_done() {
    [ "$tap_count" -gt 0 ] || tap_result 1 "the script reported at least one check"
    echo "1..$tap_count"
    [ "$tap_failed" -eq 0 ]
}
